// The one place that names the engine implementation: the WebAssembly build of the C++ core
// (wasm/, built by the CMake "wasm" preset into wasm/dist/). The browser build and the Node
// tests both import the engine through this file.
export { createCreditEngine } from '../../wasm/credits.js';
