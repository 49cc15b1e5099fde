export const PII_KINDS = [
  'email',
  'phone',
  'ssn',
  'cn_resident_id',
  'bank_card',
  'iban',
  'ipv4',
  'ipv6',
  'passport',
  'driving_licence',
  'street_address',
] as const;
export type PiiKind = (typeof PII_KINDS)[number];

/** The typed placeholder each kind is replaced with. */
export const PII_PLACEHOLDERS: Readonly<Record<PiiKind, string>> = {
  email: '[EMAIL]',
  phone: '[PHONE]',
  ssn: '[SSN]',
  cn_resident_id: '[CN_ID]',
  bank_card: '[BANK_CARD]',
  iban: '[IBAN]',
  ipv4: '[IP_ADDRESS]',
  ipv6: '[IP_ADDRESS]',
  passport: '[PASSPORT]',
  driving_licence: '[DRIVING_LICENCE]',
  street_address: '[ADDRESS]',
};

export type PiiCounts = Partial<Record<PiiKind, number>>;
