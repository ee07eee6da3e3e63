// Every page renders from the mall and re-renders when it changes (a mutation, a server reply)
// or when the sync status does. `render(mall, status)` returns the page's data.
const { syncText } = require('./format.js');

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

module.exports = { watch, unwatch };
