/**
 * What a user authenticates with. Exactly one way is used: an identity (refresh) token from
 * an OAuth2 login, else username and password, else nothing (anonymous).
 */
export interface Credentials {
  username?: string;
  password?: string;
  /** A refresh token (auth.json `identitytoken`); sent as grant_type=refresh_token. */
  identityToken?: string;
}

/** Whether the credentials carry anything at all. */
export function hasCredentials(c: Credentials | undefined): c is Credentials {
  return !!c && (!!c.identityToken || c.username !== undefined);
}
