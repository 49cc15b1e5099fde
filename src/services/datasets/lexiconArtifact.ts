import {
  ArtifactNotFoundError,
  canonicalJson,
  lexiconHash,
  parseLexicon,
  type ArtifactStore,
  type Lexicon,
} from '../../data/index.js';

export const LEXICON_MEDIA_TYPE = 'application/json; profile=tuneledger-lexicon-v1';

/**
 * Stores a lexicon's canonical JSON, so its artifact hash IS its lexiconHash: the hash a request or a
 * training run records is enough to find the lexicon again.
 */
export async function storeLexicon(artifacts: ArtifactStore, lexicon: Lexicon): Promise<string> {
  const expected = lexiconHash(lexicon);
  const stored = await artifacts.put(canonicalJson(lexicon), LEXICON_MEDIA_TYPE);
  if (stored.hash !== expected) {
    throw new Error(`stored lexicon hash ${stored.hash} differs from its lexiconHash ${expected}`);
  }
  return expected;
}

/** The lexicon stored under `hash`, or an error saying how to get it there. */
export async function loadStoredLexicon(artifacts: ArtifactStore, hash: string): Promise<Lexicon> {
  let bytes: Buffer;
  try {
    bytes = await artifacts.get(hash);
  } catch (error) {
    if (error instanceof ArtifactNotFoundError) {
      throw new Error(
        `lexicon ${hash} is not in this worker's artifact store: request the augmentation with the lexicon file (it is stored then), or share the artifact directory`,
      );
    }
    throw error;
  }
  return parseLexicon(JSON.parse(bytes.toString('utf8')) as unknown, `lexicon artifact ${hash}`);
}
