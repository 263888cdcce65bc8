/**
 * The OAuth token endpoint (RS256 JWT bearer grant, opaque `ya29.` access tokens) is the one of
 * the loopback Cloud KMS fake: Google's token_uri behaves the same for every API.
 * (Imported from its module: @tsp/fake-gcp-kms does not re-export the class yet.)
 */
export { TokenAuthority } from '@tsp/fake-gcp-kms';
