/**
 * grammY's type declarations import `node-fetch` for its Node build, which would pull all of
 * @types/node into the Worker's program. The Worker's tsconfig maps that import here, to the
 * platform's own fetch, so that `process`, `Buffer` or `node:*` fail to compile in src/worker.
 */
declare const fetch: typeof globalThis.fetch;
export default fetch;
