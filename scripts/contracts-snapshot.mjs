#!/usr/bin/env node
// `npm run contracts:snapshot`: writes contracts/schemas/<type>/v<N>.json for every message whose
// current version has no snapshot yet or changed compatibly (a new optional field). It refuses a
// breaking change to a published version: give the message a new version in contracts/src/catalog.ts.
// `-- --accept-breaking <type>` (repeatable) overwrites anyway, e.g. after a zod upgrade that rewrote
// a pattern but accepts the same values; say why in the commit.
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { writeSnapshots } from '../contracts/dist/src/schema-snapshots.js';

const { values } = parseArgs({ options: { 'accept-breaking': { type: 'string', multiple: true, default: [] } } });
const { written, refused } = writeSnapshots({ acceptBreaking: values['accept-breaking'] });
for (const file of written) console.log(`wrote ${relative(process.cwd(), file)}`);
if (!written.length && !refused.length) console.log('every snapshot is current');
for (const reason of refused) console.error(`refused ${reason}`);
process.exit(refused.length ? 1 : 0);
