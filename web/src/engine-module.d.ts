// Whatever engine-module.js re-exports must honour the real module's declarations.
export { createCreditEngine } from '../../wasm/credits';
