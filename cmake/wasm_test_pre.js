// --pre-js for wasm test binaries run under node (see CMakeLists.txt).
// Emscripten does not pass the host environment to getenv(); copy it in before main runs,
// so tests see e.g. CREDITS_SOURCE_DIR exactly as the native build does.
if (typeof process === 'object' && process.env) {
  if (!Module['preRun']) Module['preRun'] = [];
  else if (typeof Module['preRun'] === 'function') Module['preRun'] = [Module['preRun']];
  Module['preRun'].push(function () {
    if (typeof ENV === 'object') Object.assign(ENV, process.env);
  });
}
