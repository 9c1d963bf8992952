// Two other mini programs of the harness superapp, each run in its own realm
// on its own guarded `wx` (the demo superapp seeded into guard serve by
// js/harness/seed.mjs); CommonJS, as js/harness/mini-program.cjs:
//  - mp_open has every permission-control switch off, so its lists allow
//    anything, but the superapp's blocked_hosts still apply;
//  - mp_gone was removed by the superapp: every call fails.
const OTHER_APP_STEPS = [
  ['mp_open', 'switched-off list: any other host', (wx, done) => wx.request({ url: 'https://partner.example/v1/ping', success: done, fail: done })],
  ['mp_open', 'switched-off list: the superapp\'s backend (blocked host)', (wx, done) => wx.request({ url: 'https://api.superapp.example/v1/session', success: done, fail: done })],
  ['mp_open', 'switched-off list: an internal host (blocked wildcard)', (wx, done) => wx.request({ url: 'https://billing.internal.superapp.example/', success: done, fail: done })],
  ['mp_gone', 'removed app: request to its own listed host', (wx, done) => wx.request({ url: 'https://api.gone.example/v1/items', success: done, fail: done })],
  ['mp_gone', 'removed app: a built-in API', (wx, done) => wx.showToast({ title: 'hi', success: done, fail: done })],
];

module.exports = { OTHER_APP_STEPS };
