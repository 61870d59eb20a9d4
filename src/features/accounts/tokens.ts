import { createSecretKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { User } from './users-repository';

export const JWT_ISSUER = 'depot';
export const JWT_AUDIENCE = 'depot-api';
export const JWT_ALGORITHM = 'HS256';

/** What a Depot access token carries: the user id and the user's token version at issue time. */
export interface TokenClaims {
  sub: string;
  ver: number;
}

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

/** Signs access tokens (verification lives in the jwt middleware with the same pinned settings). */
export function createTokenService(options: { secret: string; ttlSeconds: number }) {
  // A KeyObject, so jsonwebtoken does not try to parse the secret as a PEM key on every signature.
  const key = createSecretKey(Buffer.from(options.secret));
  return {
    issue(user: User): IssuedToken {
      const claims: TokenClaims = { sub: user.id, ver: user.tokenVersion };
      const access_token = jwt.sign(claims, key, {
        algorithm: JWT_ALGORITHM,
        expiresIn: options.ttlSeconds,
        issuer: JWT_ISSUER,
        audience: JWT_AUDIENCE,
      });
      return { access_token, token_type: 'Bearer', expires_in: options.ttlSeconds };
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
