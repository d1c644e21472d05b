import { rabbitDefinitions } from './definitions.js';

// `npm run topology:export` writes infra/rabbitmq/definitions.json from the one topology declaration.
process.stdout.write(JSON.stringify(rabbitDefinitions(process.argv[2] ?? 'xauth'), null, 2) + '\n');
