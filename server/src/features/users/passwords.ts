import { type Algorithm, hash, verify } from '@node-rs/argon2';

/**
 * OWASP's recommended argon2id parameters (19 MiB, 2 passes, 1 lane), spelled out so a change of
 * the library's defaults cannot silently change new hashes. Old hashes carry their own parameters.
 */
const OPTIONS = {
  // `Algorithm` is an ambient const enum, which isolatedModules cannot read; 2 is Argon2id.
  algorithm: 2 as Algorithm.Argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

/** False for a wrong password and for a malformed stored hash alike: both mean "no". */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the time of one real verification when the email is unknown, so response times do not
 * tell which emails have accounts.
 */
export async function verifyAgainstDummy(password: string): Promise<void> {
  dummyHash ??= hashPassword('switchboard-dummy-password-never-matches');
  await verifyPassword(await dummyHash, password);
}
