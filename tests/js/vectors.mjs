// Shared by the Node and browser suites: the parity vectors and how to ask
// the WebAssembly module each one (mirrors tests/vectors_test.cpp).
import { readFileSync } from 'node:fs';

export const root = new URL('../..', import.meta.url).pathname;
export const read = (path) => readFileSync(root + path, 'utf8');

export function loadVectors() {
  const index = JSON.parse(read('tests/vectors/expected/index.json'));
  return Object.entries(index).map(([name, c]) => ({ name, ...c, expected: read(`tests/vectors/expected/${name}.json`) }));
}
