// The app opens the member's mall once: the engine from the code package (WXWebAssembly loads
// miniprogram_npm/siyu/siyu_bg.wasm.br), the member restored from wx storage, synced over
// wx.request. Pages wait for `getApp().ready` and re-render on the client's `change` events.
const siyu = require('siyu');
const config = require('./config.js');

function request(path, body) {
  return new Promise((resolve, reject) => {
    wx.request({
      url: config.baseUrl + path,
      method: body === undefined ? 'GET' : 'POST',
      data: body === undefined ? undefined : JSON.stringify(body),
      header: { 'Content-Type': 'application/json' },
      dataType: 'text',
      success: (res) => (res.statusCode === 200 ? resolve(JSON.parse(res.data)) : reject(new Error(`${path}: ${res.statusCode}`))),
      fail: (err) => reject(new Error(err.errMsg)),
    });
  });
}

// The program and the token are kept, so the mall opens offline on the next launch. (A real store
// logs in with wx.login and its own backend; the demo server takes a member id.)
async function cached(key, load) {
  try {
    const fresh = await load();
    wx.setStorageSync(key, JSON.stringify(fresh));
    return fresh;
  } catch (e) {
    const saved = wx.getStorageSync(key);
    if (saved) return JSON.parse(saved);
    throw e;
  }
}

App({
  onLaunch() {
    this.ready = (async () => {
      await siyu.init();
      const program = await cached('app:program', () => request('/program'));
      const { token } = await cached('app:login', () => request('/login', { memberId: config.memberId }));
      const client = await siyu.openMall({ program, memberId: config.memberId, baseUrl: config.baseUrl, getToken: () => token });
      this.client = client;
      return client;
    })();
    this.ready.catch((e) => console.error('siyu failed to open', e));
  },
  globalData: {},
});
