// Every page renders from the mall and re-renders when it changes (a mutation, a server reply)
// or when the sync status does. `render(mall, status)` returns the page's data.
const { syncText, problem } = require('./format.js');

function watch(page, render) {
  return getApp().ready.then((client) => {
    const update = () => page.setData({ ...render(client.mall, client.status), sync: syncText(client.status) });
    page.unwatch = [client.on('change', update), client.on('status', update)];
    update();
    return client;
  });
}

function unwatch(page) {
  for (const stop of page.unwatch || []) stop();
  page.unwatch = [];
}

/**
 * A shopper's change: `change(mall)` through the client (optimistic, saved, synced), then the
 * page's message — `said(result)` when it is kept, the refusal's when it is not.
 */
async function act(page, change, said) {
  const client = await page.ready;
  try {
    page.setData({ message: said(await client.mutate(change)) });
  } catch (e) {
    page.setData({ message: problem(e) });
  }
}

module.exports = { watch, unwatch, act };
