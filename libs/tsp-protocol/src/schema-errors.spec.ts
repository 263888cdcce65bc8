import Ajv, { ErrorObject } from 'ajv';
import { describeAjvError } from './schema-errors';

function errorsOf(schema: object, value: unknown): ErrorObject[] {
  const validate = new Ajv({ coerceTypes: false, allErrors: true }).compile(schema);
  expect(validate(value)).toBe(false);
  return validate.errors ?? [];
}

const schema = {
  type: 'object',
  required: ['tenantId', 'iclFields'],
  additionalProperties: false,
  properties: {
    tenantId: { type: 'string', minLength: 1 },
    iclFields: {
      type: 'object',
      required: ['requestingId'],
      properties: { requestingId: { type: 'string', minLength: 1 }, dataLabel: { type: ['string', 'null'] } },
    },
    kind: { enum: ['a', 'b'] },
  },
};

describe('describeAjvError names the field by its dotted path', () => {
  it('required at the root names the property alone', () => {
    expect(errorsOf(schema, { iclFields: { requestingId: 'x' } }).map((e) => describeAjvError(e))).toEqual(['tenantId is required']);
  });

  it("required inside an object names 'iclFields.requestingId'", () => {
    expect(errorsOf(schema, { tenantId: 't', iclFields: {} }).map((e) => describeAjvError(e))).toEqual(['iclFields.requestingId is required']);
  });

  it('a constraint on a nested field names its path and never the value', () => {
    const secretish = '';
    const [msg] = errorsOf(schema, { tenantId: 't', iclFields: { requestingId: secretish } }).map((e) => describeAjvError(e));
    expect(msg).toBe('iclFields.requestingId must NOT have fewer than 1 characters');
  });

  it('a type error lists union types with "or"', () => {
    const [msg] = errorsOf(schema, { tenantId: 't', iclFields: { requestingId: 'r', dataLabel: 42 } }).map((e) => describeAjvError(e));
    expect(msg).toBe('iclFields.dataLabel must be string or null');
  });

  it('an unknown property is named', () => {
    const value = { tenantId: 't', iclFields: { requestingId: 'r' }, extraField: 'do-not-echo-this-value' };
    const msgs = errorsOf(schema, value).map((e) => describeAjvError(e, 'config'));
    expect(msgs).toEqual(["config has unknown property 'extraField'"]);
    expect(msgs.join()).not.toContain('do-not-echo-this-value');
  });

  it('an enum error lists the allowed values and not the given one', () => {
    const msgs = errorsOf(schema, { tenantId: 't', iclFields: { requestingId: 'r' }, kind: 'zzz-given' }).map((e) => describeAjvError(e));
    expect(msgs).toEqual(["kind must be one of 'a', 'b'"]);
  });

  it('a type error of the whole body uses the root name', () => {
    expect(errorsOf(schema, 'text').map((e) => describeAjvError(e))).toEqual(['body must be object']);
    expect(errorsOf(schema, 'text').map((e) => describeAjvError(e, 'environment'))).toEqual(['environment must be object']);
  });
});
