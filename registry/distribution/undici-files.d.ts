// undici's own files, imported one by one (see undici-lean.ts); each is CommonJS and its
// default import is its module.exports. undici ships types for its package entry only.
declare module 'undici/lib/dispatcher/agent.js' {
  const agent: unknown;
  export default agent;
}
declare module 'undici/lib/api/api-request.js' {
  const request: unknown;
  export default request;
}
