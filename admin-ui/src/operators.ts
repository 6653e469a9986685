/**
 * The condition operators, grouped by the type of attribute they compare. The closed list is
 * core's `Operator` (core/src/model.ts), restated here because the admin UI does not depend on
 * @switchboard/core; keep the two in step.
 */

export type AttributeType = 'text' | 'number' | 'date' | 'semver' | 'ip';

export interface OperatorInfo {
  value: string;
  label: string;
  /** Compares against exactly one value (core's SINGLE_VALUE_OPERATORS). */
  single: boolean;
  /** Honours `caseInsensitive`. */
  caseInsensitive?: boolean;
}

export const ATTRIBUTE_TYPES: Array<{ value: AttributeType; label: string }> = [
  { value: 'text', label: 'Text' },
  { value: 'number', label: 'Number' },
  { value: 'date', label: 'Date' },
  { value: 'semver', label: 'Version (semver)' },
  { value: 'ip', label: 'IP address' },
];

export const OPERATORS: Record<AttributeType, OperatorInfo[]> = {
  text: [
    { value: 'IN', label: 'is one of', single: false },
    { value: 'NOT_IN', label: 'is not one of', single: false },
    { value: 'STR_STARTS_WITH', label: 'starts with', single: false, caseInsensitive: true },
    { value: 'STR_ENDS_WITH', label: 'ends with', single: false, caseInsensitive: true },
    { value: 'STR_CONTAINS', label: 'contains', single: false, caseInsensitive: true },
    { value: 'REGEX', label: 'matches the pattern (RE2)', single: true, caseInsensitive: true },
  ],
  number: [
    { value: 'NUM_EQ', label: '=', single: true },
    { value: 'NUM_GT', label: '>', single: true },
    { value: 'NUM_GTE', label: '≥', single: true },
    { value: 'NUM_LT', label: '<', single: true },
    { value: 'NUM_LTE', label: '≤', single: true },
  ],
  date: [
    { value: 'DATE_AFTER', label: 'is after', single: true },
    { value: 'DATE_BEFORE', label: 'is before', single: true },
  ],
  semver: [
    { value: 'SEMVER_EQ', label: '=', single: true },
    { value: 'SEMVER_GT', label: '>', single: true },
    { value: 'SEMVER_GTE', label: '≥', single: true },
    { value: 'SEMVER_LT', label: '<', single: true },
    { value: 'SEMVER_LTE', label: '≤', single: true },
  ],
  ip: [{ value: 'IN_CIDR', label: 'is in the range (CIDR)', single: false }],
};

const ALL: OperatorInfo[] = Object.values(OPERATORS).flat();

export function operatorInfo(op: string): OperatorInfo | undefined {
  return ALL.find((o) => o.value === op);
}

/** The type an operator compares; IN/NOT_IN are text. */
export function typeOfOperator(op: string): AttributeType {
  for (const [type, ops] of Object.entries(OPERATORS) as Array<[AttributeType, OperatorInfo[]]>) {
    if (ops.some((o) => o.value === op)) return type;
  }
  return 'text';
}

/** A sensible type for a well-known attribute name, for new conditions. */
export function guessType(attribute: string): AttributeType | undefined {
  const a = attribute.toLowerCase();
  if (a === 'currenttime' || /(^|_)(date|time)$|At$/.test(attribute) || a.endsWith('date')) return 'date';
  if (a === 'remoteaddress' || a === 'ip' || a.endsWith('ip')) return 'ip';
  if (a.includes('version')) return 'semver';
  if (a === 'age' || a.endsWith('count') || a.endsWith('amount')) return 'number';
  return undefined;
}

/** Attributes every SDK context has, offered beside those the server knows. */
export const WELL_KNOWN_ATTRIBUTES = ['userId', 'sessionId', 'remoteAddress', 'environment', 'appName', 'currentTime'];

/** Checks one value for an operator the way the server will (core/src/validation.ts). */
export function checkValue(op: string, value: string): string | undefined {
  switch (typeOfOperator(op)) {
    case 'number':
      return value.trim() === '' || Number.isNaN(Number(value)) ? 'Enter a number' : undefined;
    case 'date':
      return Number.isNaN(Date.parse(value)) ? 'Enter a date' : undefined;
    case 'semver':
      return /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(value.trim()) ? undefined : 'Enter a version such as 1.2.3';
    case 'ip':
      return /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(value.trim()) ? undefined : `Not an IP address or CIDR range: ${value}`;
    default:
      return undefined;
  }
}

export const STICKINESS_OPTIONS = [
  { value: 'default', label: 'Default (userId, then sessionId, then random)' },
  { value: 'userId', label: 'userId' },
  { value: 'sessionId', label: 'sessionId' },
  { value: 'random', label: 'Random (not sticky)' },
];
