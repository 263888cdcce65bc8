/**
 * Validation of a fault rule (or any small JSON object) received on a fake's control API,
 * collecting problems as fixed messages naming the field, in the order the checks are made.
 *
 *   const c = RuleChecks.of(body);
 *   if (c === undefined) return ['rule must be an object'];
 *   c.knownFields([...]).oneOf('fault', KINDS).nonNegativeInteger('latencyMs').positiveInteger('times');
 *   return c.problems;
 */
export class RuleChecks {
  readonly problems: string[] = [];

  private constructor(readonly value: Record<string, unknown>) {}

  /** Checks for a JSON object (not null, not an array); undefined when `v` is none. */
  static of(v: unknown): RuleChecks | undefined {
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? new RuleChecks(v as Record<string, unknown>) : undefined;
  }

  /** Adds a problem of the caller's own. */
  problem(message: string): this {
    this.problems.push(message);
    return this;
  }

  /** `unknown field K` for every field not in `fields`. */
  knownFields(fields: readonly string[]): this {
    for (const k of Object.keys(this.value)) if (!fields.includes(k)) this.problem(`unknown field ${k}`);
    return this;
  }

  /** `F must be one of A, B`: when present (or always, when `required`) the field must be one of `values`. */
  oneOf(field: string, values: readonly unknown[], required = false): this {
    const v = this.value[field];
    if ((required || v !== undefined) && !values.includes(v)) this.problem(`${field} must be one of ${values.join(', ')}`);
    return this;
  }

  /** `F must be a list of A, B`: when present, an array of some of `values`. */
  listOf(field: string, values: readonly unknown[]): this {
    const v = this.value[field];
    if (v !== undefined && (!Array.isArray(v) || !v.every((x) => values.includes(x)))) this.problem(`${field} must be a list of ${values.join(', ')}`);
    return this;
  }

  /** `F must be a non-negative integer` when present and not one. */
  nonNegativeInteger(field: string): this {
    if (this.value[field] !== undefined && !isInteger(this.value[field], 0)) this.problem(`${field} must be a non-negative integer`);
    return this;
  }

  /** `F must be a positive integer` when present and not one. */
  positiveInteger(field: string): this {
    if (this.value[field] !== undefined && !isInteger(this.value[field], 1)) this.problem(`${field} must be a positive integer`);
    return this;
  }

  /** `F must be a string` when present and not one. */
  string(field: string): this {
    if (this.value[field] !== undefined && typeof this.value[field] !== 'string') this.problem(`${field} must be a string`);
    return this;
  }

  /** `F must be a boolean` when present and not one. */
  boolean(field: string): this {
    if (this.value[field] !== undefined && typeof this.value[field] !== 'boolean') this.problem(`${field} must be a boolean`);
    return this;
  }

  /** `a rule needs A or B` when none of `fields` is present. */
  needsOneOf(fields: readonly string[]): this {
    if (fields.every((f) => this.value[f] === undefined)) this.problem(`a rule needs ${fields.join(' or ')}`);
    return this;
  }
}

function isInteger(v: unknown, min: number): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= min;
}
