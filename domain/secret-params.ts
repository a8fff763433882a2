/** What a params value whose key looks like a secret is replaced with, wherever it is kept or shown. */
export const REDACTED = '[redacted]';

/** Words of a key that make its value a secret. Plurals only where a collection of them is still secret (`max_tokens` is a model setting, not a token). */
const SECRET_WORDS = new Set([
  'password', 'passwords', 'passwd', 'pwd', 'passphrase', 'secret', 'secrets', 'token', 'credential', 'credentials',
  // The run-together spellings of the pairs below (`SECRETKEY`, `privatekey`), which the word split cannot cut.
  'apikey', 'privatekey', 'secretkey', 'accesskey', 'signingkey',
]);
/** Two adjacent words that name a secret together, though neither does alone (`primary_key`, `api_version`, `max_tokens` are not secrets). */
const SECRET_PAIRS = [
  ['api', 'key'], ['private', 'key'], ['access', 'key'], ['secret', 'key'], ['signing', 'key'], ['ssh', 'key'],
  ['connection', 'string'], ['refresh', 'token'], ['refresh', 'tokens'], ['access', 'token'], ['access', 'tokens'], ['client', 'secret'],
];

/**
 * Words that make a value a secret only as the key's last word (`auth`, `basic_auth`, `Authorization`), or before a
 * word that says the value is what they carry (`authHeader`, `auth_code`). Before any other word they qualify it
 * (`auth_role`, `auth_scope`, `authorization_level`): that value is what an approver must see, and what a grant binds.
 */
const SECRET_AS_LAST_WORD = new Set(['auth', 'authorization']);
const CARRIED = new Set(['header', 'headers', 'value', 'values', 'string', 'data', 'info', 'cookie', 'code', 'codes', 'blob', 'bearer']);

/**
 * The words of a key: split on anything not a letter or digit (`_ - . ` and so on), then at case changes
 * (`apiKey`, `APIKey`) and between letters and digits (`password2`). So `db_password` and `apiToken` are secret
 * keys, while `tokenizer` and `secretary` are single words that merely begin like one.
 */
function wordsOf(key: string): string[] {
  return key.split(/[^A-Za-z0-9]+/).flatMap((part) => part.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+/g) ?? []).map((w) => w.toLowerCase());
}

/** Whether the value under `key` is a secret by its name. */
export function isSecretKey(key: string): boolean {
  const words = wordsOf(key);
  return words.some(
    (w, i) =>
      SECRET_WORDS.has(w) ||
      (SECRET_AS_LAST_WORD.has(w) && (i === words.length - 1 || CARRIED.has(words[i + 1]))) ||
      SECRET_PAIRS.some(([a, b]) => w === a && words[i + 1] === b),
  );
}

/** A copy of `value` with the value of every secret-looking key replaced by `[redacted]`, at any depth, through arrays. */
export function redactSecretParams<T>(value: T): T {
  if (Array.isArray(value)) return value.map(redactSecretParams) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isSecretKey(k) ? REDACTED : redactSecretParams(v)])) as T;
  }
  return value;
}

/**
 * The dotted path of every secret-looking key in `value`, at any depth, through arrays (`a.0.password`). For what
 * cannot be redacted because it is sent as is (an http `execute.body`), so it is refused instead.
 */
export function secretKeyPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => secretKeyPaths(v, `${prefix}${i}.`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => (isSecretKey(k) ? [`${prefix}${k}`] : secretKeyPaths(v, `${prefix}${k}.`)));
  }
  return [];
}
