// Entry point of the demo console. The components are also usable on their own:
// import './components/ec-usage-panel' etc. and hand them a LedgerSession (see credits.ts).
import './global.css';
import './components/ec-console';
