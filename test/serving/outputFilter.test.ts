import { describe, expect, it } from 'vitest';
import { OutputFilter, redactInput, redactionRule } from '../../src/serving/index.js';

describe('output filter', () => {
  it('blocks blocklisted words on word boundaries only, case-insensitively', async () => {
    const filter = new OutputFilter({ blocklist: ['ass', 'kill switch'] });
    expect(await filter.check('an Ass appeared')).toEqual({ blocked: true, rule: 'blocklist:ass' });
    expect(await filter.check('a class of assets')).toEqual({ blocked: false });
    expect(await filter.check('flip the KILL SWITCH now')).toEqual({
      blocked: true,
      rule: 'blocklist:kill switch',
    });
    expect(filter.holdBack).toBe('kill switch'.length + 1);
  });

  it('blocks on named patterns and on pluggable classifiers, in that order', async () => {
    const seen: string[] = [];
    const filter = new OutputFilter({ patterns: [{ name: 'api-key', pattern: 'sk-[a-z0-9]{8,}' }] }, [
      {
        name: 'shouting',
        classify: async (text) => {
          seen.push(text);
          return { blocked: text === text.toUpperCase() && /[A-Z]/.test(text), reason: 'caps' };
        },
      },
    ]);
    expect(await filter.check('use sk-abcdef123456')).toEqual({ blocked: true, rule: 'pattern:api-key' });
    expect(seen).toEqual([]);
    expect(await filter.check('STOP THAT')).toEqual({ blocked: true, rule: 'classifier:shouting:caps' });
    expect(await filter.check('fine')).toEqual({ blocked: false });
    expect(filter.checkRules('STOP THAT')).toEqual({ blocked: false });
  });

  it('says which pattern is broken', () => {
    expect(() => new OutputFilter({ patterns: [{ name: 'oops', pattern: '(' }] })).toThrow(
      /pattern "oops" is not a valid regular expression/,
    );
  });
});

describe('input redaction', () => {
  it('replaces PII by typed placeholders and names the kinds found', () => {
    const redacted = redactInput('mail bob@example.org or call +44 20 7946 0958');
    expect(redacted.text).not.toContain('bob@example.org');
    expect(redacted.text).toContain('[EMAIL]');
    expect(redactionRule(redacted.counts)).toMatch(/^pii:email/);
    expect(redactionRule(redactInput('nothing here').counts)).toBeUndefined();
  });
});

describe('serving settings from the environment', () => {
  it('has defaults for everything and names a bad variable', async () => {
    const { servingSettingsFromEnv } = await import('../../src/serving/index.js');
    expect(servingSettingsFromEnv({})).toMatchObject({
      pool: { threads: 1, maxQueue: 32 },
      defaultMaxTokens: 64,
      monitor: { windowSize: 20, entropyRisePct: 15, autoRollback: true },
      outputFilter: { blocklist: [] },
    });
    expect(
      servingSettingsFromEnv({
        TUNELEDGER_SERVING_BLOCKLIST: 'foo, bar baz ,',
        TUNELEDGER_AUTO_ROLLBACK: 'off',
      }),
    ).toMatchObject({ outputFilter: { blocklist: ['foo', 'bar baz'] }, monitor: { autoRollback: false } });
    expect(() => servingSettingsFromEnv({ TUNELEDGER_SERVING_THREADS: 'two' })).toThrow(
      /TUNELEDGER_SERVING_THREADS/,
    );
  });
  it('reads the serving PII policy and applies it to prompts; pseudonyms without a key are refused', async () => {
    const { servingSettingsFromEnv } = await import('../../src/serving/index.js');
    expect(servingSettingsFromEnv({}).piiRedaction).toEqual({ policy: {} });
    const settings = servingSettingsFromEnv({
      TUNELEDGER_SERVING_PII_POLICY: 'email=keep,phone=pseudonymise',
      TUNELEDGER_PII_KEY: 'serving-key-0123456789',
    });
    const redacted = redactInput('mail a@example.com or call 415.555.0199', settings.piiRedaction);
    expect(redacted.text).toMatch(/^mail a@example\.com or call \[PHONE:[0-9a-f]{8}\]$/);
    expect(redacted.counts).toEqual({ email: 1, phone: 1 });
    expect(() => servingSettingsFromEnv({ TUNELEDGER_SERVING_PII_POLICY: 'phone=pseudonymise' })).toThrow(
      /TUNELEDGER_SERVING_PII_POLICY.*TUNELEDGER_PII_KEY/,
    );
    expect(() => servingSettingsFromEnv({ TUNELEDGER_SERVING_PII_POLICY: 'phone=drop' })).toThrow(
      /TUNELEDGER_SERVING_PII_POLICY.*"drop"/,
    );
  });
});
