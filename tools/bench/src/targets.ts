/** One goal of the issue, checked against a measured figure. */
export interface TargetCheck {
  name: string;
  value: number;
  comparison: '>=' | '<=';
  target: number;
  pass: boolean;
}

export function targetCheck(name: string, value: number, comparison: '>=' | '<=', target: number): TargetCheck {
  const pass = Number.isFinite(value) && (comparison === '>=' ? value >= target : value <= target);
  return { name, value, comparison, target, pass };
}
