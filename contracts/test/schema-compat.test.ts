import { expect } from 'chai';
import { z } from 'zod';
import { embeddedJsonSchema } from '../src/openapi.js';
import { breakingChanges } from '../src/schema-compat.js';

/** The JSON Schema of a zod schema, as the snapshots hold it. */
const json = (s: z.ZodType) => embeddedJsonSchema(s, 'output');
const published = z.strictObject({
  jobId: z.uuid(),
  status: z.enum(['ok', 'failed']),
  message: z.string().max(200),
  attempts: z.number().int().min(0),
  note: z.string().optional(),
  tags: z.array(z.string().max(20)).max(5),
});
const shape = published.shape;
const changedTo = (next: z.ZodType) => breakingChanges(json(published), json(next));

describe('schema compatibility check', () => {
  it('when nothing but a description changes, then there is no breaking change', () => {
    expect(changedTo(published.describe('the same message, described'))).to.deep.equal([]);
  });

  it('when a new optional field is added or a bound is loosened, then there is no breaking change', () => {
    expect(changedTo(z.strictObject({ ...shape, workerId: z.string().optional() }))).to.deep.equal([]);
    expect(changedTo(z.strictObject({ ...shape, message: z.string().max(2000), tags: z.array(z.string().max(20)).max(50) }))).to.deep.equal([]);
  });

  it('when a field is removed or renamed, then it is breaking', () => {
    const { note: _note, ...withoutNote } = shape;
    expect(changedTo(z.strictObject(withoutNote))).to.deep.equal(['note: removed (or renamed)']);
    const { jobId, ...rest } = shape;
    expect(changedTo(z.strictObject({ ...rest, id: jobId }))).to.deep.equal(['jobId: removed (or renamed)', 'id: new required field']);
  });

  it('when an optional field becomes required, or a required one optional, then it is breaking', () => {
    expect(changedTo(z.strictObject({ ...shape, note: z.string() }))).to.deep.equal(['note: became required']);
    expect(changedTo(z.strictObject({ ...shape, message: shape.message.optional() }))).to.deep.equal([
      'message: no longer required, which consumers of the published version rely on',
    ]);
  });

  it("when a field's type changes or it becomes nullable, then it is breaking", () => {
    expect(changedTo(z.strictObject({ ...shape, attempts: z.string() }))).to.include('attempts: type changed from integer to string');
    expect(changedTo(z.strictObject({ ...shape, attempts: z.number().min(0) }))).to.include('attempts: type changed from integer to number');
    expect(changedTo(z.strictObject({ ...shape, jobId: z.uuid().nullable() }))).to.deep.equal([
      'jobId: became nullable, which consumers of the published version do not expect',
    ]);
    expect(changedTo(z.strictObject({ ...shape, jobId: z.string().max(36).nullable() }))).to.deep.equal([
      'jobId: became nullable, which consumers of the published version do not expect',
      'jobId: format changed from "uuid" to none',
      'jobId: pattern changed from "^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}|00000000-0000-0000-0000-000000000000|ffffffff-ffff-ffff-ffff-ffffffffffff)$" to none',
      'jobId: maxLength tightened from none to 36',
    ]);
    expect(breakingChanges(json(z.strictObject({ ...shape, jobId: z.uuid().nullable() })), json(published))).to.deep.equal([
      'jobId: no longer nullable, which publishers of the published version may send',
    ]);
  });

  it('when an enum is narrowed or widened, then it is breaking', () => {
    expect(changedTo(z.strictObject({ ...shape, status: z.enum(['ok']) }))).to.deep.equal(['status: enum narrowed: ["failed"] no longer accepted']);
    expect(changedTo(z.strictObject({ ...shape, status: z.enum(['ok', 'failed', 'cancelled']) }))).to.deep.equal([
      'status: enum widened: ["cancelled"] added, which consumers of the published version do not know',
    ]);
  });

  it('when a bound is tightened or a pattern or format changes, deep inside arrays too, then it is breaking', () => {
    expect(changedTo(z.strictObject({ ...shape, message: z.string().max(100) }))).to.deep.equal(['message: maxLength tightened from 200 to 100']);
    expect(changedTo(z.strictObject({ ...shape, attempts: z.number().int().min(1) }))).to.deep.equal(['attempts: minimum tightened from 0 to 1']);
    expect(changedTo(z.strictObject({ ...shape, tags: z.array(z.string().max(10)).max(5) }))).to.deep.equal(['tags[]: maxLength tightened from 20 to 10']);
    expect(
      changedTo(
        z.strictObject({
          ...shape,
          message: z
            .string()
            .max(200)
            .regex(/^[a-z ]*$/),
        }),
      ),
    ).to.deep.equal(['message: pattern changed from none to "^[a-z ]*$"']);
    expect(changedTo(z.strictObject({ ...shape, jobId: z.string() }))).to.have.length.above(0);
  });

  it('when an open object becomes strict, then it is breaking; a strict one becoming open is not', () => {
    const open = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
    const strict = { ...open, additionalProperties: false };
    expect(breakingChanges(open, strict)).to.deep.equal(['(the message): unknown fields no longer allowed']);
    expect(breakingChanges(strict, open)).to.deep.equal([]);
  });

  it('when a keyword the check does not read changes, then it counts as breaking', () => {
    expect(breakingChanges({ type: 'string', contentEncoding: 'base64' }, { type: 'string' })).to.deep.equal([
      '(the message): contentEncoding changed from "base64" to none (a keyword this check does not read: treated as breaking)',
    ]);
  });
});
