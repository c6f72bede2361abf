// Asks the WebAssembly engine one parity vector; returns {ok, json} like the
// C++ Answer. Runs in Node and, unchanged, inside the browser test page.
export function answerVector(engine, CreditDocumentError, c, documents) {
  try {
    if (c.command === 'quote') return { ok: true, json: engine.quoteJson(documents[c.input]) };
    const ledger = engine.load(documents[c.ledger]);
    try {
      const query = { at: c.at, from: c.from, to: c.to, utc_offset: c.utc_offset, utc_offsets: c.utc_offsets };
      if (c.command === 'check') {
        // check is the CLI's validate-only answer; the JS API's equivalent is a successful load.
        return { ok: true, json: null };
      }
      if (c.command === 'report' && c.without_entries) return { ok: true, json: ledger.reportJson({ ...query, entries: false }) };
      if (c.command === 'report') return { ok: true, json: ledger.reportJson(query) };
      if (c.command === 'entries') {
        return { ok: true, json: ledger.entriesJson({ at: c.at, offset: c.offset, limit: c.limit, kind: c.kind, order: c.order }) };
      }
      if (c.command === 'project') return { ok: true, json: ledger.projectJson(c.project, query) };
      if (c.command === 'checkpoint') return { ok: true, json: ledger.checkpoint({ at: c.at }) };
      return { ok: true, json: ledger.forecastJson(query) };
    } finally {
      ledger.delete();
    }
  } catch (error) {
    if (error instanceof CreditDocumentError) return { ok: false, json: error.json };
    throw error;
  }
}
