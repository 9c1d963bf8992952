// The real components the tests render, with what a user does to them: each
// names its library and component, the props it renders with, the events it
// emits, the interactions (taps on its nodes, or its own handlers called with
// the event a tap hands them where the node is inside another component),
// and `denied`: what the component must show when the guard refuses the
// APIs and hosts it uses (its own failure path, with the platform's errMsg).
import assert from 'node:assert/strict';
import { tap } from './components.mjs';

/** Hosts the components' media come from (the allow policy lists them). */
export const HOSTS = Object.freeze(['https://img.shop.example', 'https://cdn.shop.example']);
const IMG = `${HOSTS[0]}/a.png`;
const IMG2 = `${HOSTS[0]}/b.jpg`;
const VIDEO = `${HOSTS[1]}/v.mp4`;
const POSTER = `${HOSTS[1]}/poster.png`;
const DOC = `${HOSTS[1]}/terms.pdf`;

/** Sensitive APIs the components call (restricted; the allow policy grants them). */
export const SENSITIVE = Object.freeze(['chooseMedia', 'chooseImage', 'chooseVideo', 'chooseMessageFile', 'getUserProfile']);

const tapEvent = (dataset) => ({ currentTarget: { dataset }, target: { dataset }, detail: {} });

/** Entries of a run's log of one kind (`wx`, `event`, `render`, `note`) whose second field is `name`. */
export const entries = (run, kind, name) => run.log.filter((e) => e[0] === kind && (name === undefined || e[1] === name));

const fail = (api, reason, errno) => ({ errMsg: `${api}:fail ${reason}`, errno });
const NOT_GRANTED = (api) => fail(api, 'jsapi has no permission', 102);

export const SCENARIOS = [
  {
    name: 'vant uploader (images): choose, preview, rendered thumbnails',
    lib: 'vant', path: 'uploader/index', tag: 'van-uploader',
    props: () => ({ fileList: [{ url: IMG }, { url: IMG2, name: 'b' }, { url: VIDEO, type: 'video', thumb: POSTER }], multiple: true }),
    events: ['after-read', 'error', 'click-preview', 'oversize'],
    async interact({ comp, clock }) {
      tap(comp, '.van-uploader__upload');
      await clock.advance(100);
      tap(comp, '.van-uploader__preview-image');
      await clock.advance(100);
      comp.instance.onPreviewVideo(tapEvent({ index: 2 }));
      await clock.advance(100);
    },
    denied(run) {
      assert.deepEqual(entries(run, 'event', 'error').map((e) => e[2]), [NOT_GRANTED('chooseMedia')]);
      assert.deepEqual(entries(run, 'event', 'after-read'), []);
      // Both previews fail on the hosts and take the component's own fail path: a toast.
      assert.deepEqual(entries(run, 'wx', 'wx.showToast').map((e) => e[2][0].title), ['预览图片失败', '预览视频失败']);
    },
  },
  {
    name: 'vant uploader (video): chooseVideo',
    lib: 'vant', path: 'uploader/index', tag: 'van-uploader',
    props: () => ({ accept: 'video', fileList: [] }),
    events: ['after-read', 'error'],
    async interact({ comp, clock }) {
      tap(comp, '.van-uploader__upload');
      await clock.advance(100);
    },
    denied(run) {
      assert.deepEqual(entries(run, 'event', 'error').map((e) => e[2]), [NOT_GRANTED('chooseVideo')]);
    },
  },
  {
    name: 'vant uploader (files): chooseMessageFile, openDocument of a remote file',
    lib: 'vant', path: 'uploader/index', tag: 'van-uploader',
    props: () => ({ accept: 'file', previewFile: true, fileList: [{ url: DOC, name: 'terms.pdf', type: 'file' }] }),
    events: ['after-read', 'error'],
    async interact({ comp, clock }) {
      tap(comp, '.van-uploader__upload');
      await clock.advance(100);
      tap(comp, '.van-uploader__file');
      await clock.advance(100);
    },
    denied(run) {
      assert.deepEqual(entries(run, 'event', 'error').map((e) => e[2]), [NOT_GRANTED('chooseMessageFile')]);
      // openDocument without callbacks answers a Promise; the denial rejects it as the platform would.
      assert.deepEqual(run.rejections, [fail('openDocument', 'url not in domain list:cdn.shop.example', 600002)]);
    },
  },
  {
    name: 'vant image: a remote src loads, or fails into the error slot',
    lib: 'vant', path: 'image/index', tag: 'van-image',
    props: () => ({ src: IMG, width: 100, height: 100 }),
    events: ['load', 'error'],
    denied(run) {
      assert.deepEqual(entries(run, 'render', 'image'), [['render', 'image', 'src', null, 'domain_not_whitelisted']]);
      assert.deepEqual(entries(run, 'event', 'error').map((e) => e[2]), [{ errMsg: 'image:fail url not in domain list:img.shop.example' }]);
      assert.match(run.html, /van-image__error/);
    },
  },
  {
    name: 'vant button open-type getUserInfo: getUserProfile',
    lib: 'vant', path: 'button/index', tag: 'van-button',
    props: () => ({ openType: 'getUserInfo', getUserProfileDesc: 'for the profile page' }),
    events: ['getuserinfo', 'click'],
    async interact({ comp, clock }) {
      tap(comp, '.van-button');
      await clock.advance(100);
    },
    denied(run) {
      assert.deepEqual(entries(run, 'event', 'getuserinfo').map((e) => e[2]), [NOT_GRANTED('getUserProfile')]);
    },
  },
  {
    name: 'vant action-sheet: an action with open-type getUserInfo',
    lib: 'vant', path: 'action-sheet/index', tag: 'van-action-sheet',
    props: () => ({ show: true, title: 'Share', actions: [{ name: 'Profile', openType: 'getUserInfo' }, { name: 'Plain' }] }),
    events: ['select', 'getuserinfo', 'close'],
    async interact({ comp, clock }) {
      comp.instance.onSelect(tapEvent({ index: 0 }));
      await clock.advance(100);
      comp.instance.onSelect(tapEvent({ index: 1 }));
      await clock.advance(500);
    },
    denied(run) {
      assert.deepEqual(entries(run, 'event', 'getuserinfo').map((e) => e[2]), [NOT_GRANTED('getUserProfile')]);
      assert.equal(entries(run, 'event', 'select').length, 2);
    },
  },
  {
    name: 'vant notice-bar: scrolling animation',
    lib: 'vant', path: 'notice-bar/index', tag: 'van-notice-bar',
    props: () => ({ text: 'A long notice that scrolls across the bar, long enough to scroll', scrollable: true, speed: 60 }),
    async interact({ clock }) {
      await clock.advance(3000);
    },
  },
  {
    name: 'vant dialog: shown and confirmed',
    lib: 'vant', path: 'dialog/index', tag: 'van-dialog',
    props: () => ({ show: true, title: 'Confirm', message: 'Proceed?', showCancelButton: true }),
    events: ['confirm', 'cancel', 'close'],
    async interact({ comp, clock }) {
      comp.instance.onConfirm();
      await clock.advance(1000);
    },
  },
  {
    name: 'tdesign upload (media): choose, preview an image',
    lib: 'tdesign', path: 'upload/upload', tag: 't-upload',
    props: () => ({ files: [{ url: IMG, type: 'image' }, { url: IMG2, type: 'image' }], mediaType: ['image', 'video'] }),
    events: ['add', 'success', 'fail', 'complete', 'click', 'select-change'],
    async interact({ comp, clock }) {
      comp.instance.onAddTap();
      await clock.advance(100);
      comp.instance.onPreview(tapEvent({ index: 1, file: { url: IMG2, type: 'image' } }));
      await clock.advance(100);
    },
    denied(run) {
      assert.deepEqual(entries(run, 'event', 'fail').map((e) => e[2]), [NOT_GRANTED('chooseMedia')]);
      assert.deepEqual(entries(run, 'event', 'complete').map((e) => e[2]), [NOT_GRANTED('chooseMedia')]);
      assert.deepEqual(entries(run, 'event', 'add'), []);
      assert.deepEqual(entries(run, 'wx', 'wx.showToast').map((e) => e[2][0].title), ['预览图片失败']);
    },
  },
  {
    name: 'tdesign upload (video preview, message files)',
    lib: 'tdesign', path: 'upload/upload', tag: 't-upload',
    props: () => ({ files: [{ url: VIDEO, type: 'video', thumb: POSTER }], source: 'messageFile', mediaType: ['video'] }),
    events: ['add', 'success', 'fail', 'complete'],
    async interact({ comp, clock }) {
      comp.instance.onAddTap();
      await clock.advance(100);
      comp.instance.onPreview(tapEvent({ index: 0, file: { url: VIDEO, type: 'video' } }));
      await clock.advance(100);
    },
    denied(run) {
      assert.deepEqual(entries(run, 'event', 'fail').map((e) => e[2]), [NOT_GRANTED('chooseMessageFile')]);
      assert.deepEqual(entries(run, 'wx', 'wx.showToast').map((e) => e[2][0].title), ['预览视频失败']);
    },
  },
  {
    name: 'tdesign image-viewer: remote images, closed',
    lib: 'tdesign', path: 'image-viewer/image-viewer', tag: 't-image-viewer',
    props: () => ({ visible: true, images: [IMG, IMG2], showIndex: true }),
    events: ['change', 'close'],
    async interact({ comp, clock }) {
      comp.instance.onSwiperChange?.({ detail: { current: 1, source: 'touch' } });
      await clock.advance(300);
      comp.instance.onClose?.({ currentTarget: { dataset: { source: 'overlay' } } });
      await clock.advance(500);
    },
    denied(run) {
      assert.ok(entries(run, 'render', 'image').length > 0, 'the viewer rendered no image');
      assert.ok(entries(run, 'render', 'image').every((e) => e[3] === null && e[4] === 'domain_not_whitelisted'));
    },
  },
  {
    name: 'tdesign image: a remote src loads, or shows its failed state',
    lib: 'tdesign', path: 'image/image', tag: 't-image',
    props: () => ({ src: IMG, width: 100, height: 100 }),
    events: ['load', 'error'],
    denied(run) {
      assert.deepEqual(entries(run, 'event', 'error').map((e) => e[2]), [{ errMsg: 'image:fail url not in domain list:img.shop.example' }]);
    },
  },
  {
    name: 'tdesign chat-sender: images and files through Promise-style calls',
    lib: 'tdesign', path: 'chat-sender/chat-sender', tag: 't-chat-sender',
    props: () => ({ visible: true }),
    events: ['fileSelect', 'fileChange', 'updatevisible'],
    async interact({ comp, clock }) {
      await comp.instance.handleImageUpload(tapEvent({ type: 'album' }));
      await clock.advance(100);
      await comp.instance.handleWechatFileUpload(tapEvent({}));
      await clock.advance(100);
    },
    denied(run) {
      assert.deepEqual(entries(run, 'event', 'fileSelect'), []);
      assert.deepEqual(entries(run, 'wx', 'wx.showToast').map((e) => e[2][0].title), ['选择图片失败', '选择微信文件失败']);
    },
  },
  {
    name: 'tdesign attachments: tapping an image previews it',
    lib: 'tdesign', path: 'attachments/attachments', tag: 't-attachments',
    props: () => ({ items: [{ url: IMG, fileType: 'image', name: 'a.png', size: 2048 }] }),
    events: ['fileClick'],
    async interact({ comp, clock }) {
      comp.instance.handleFileClick({ url: IMG, fileType: 'image', name: 'a.png' });
      await clock.advance(100);
    },
    denied(run) {
      assert.deepEqual(run.rejections, [fail('previewImage', 'url not in domain list:img.shop.example', 600002)]);
    },
  },
  {
    name: 'tdesign navbar: back with callbacks',
    lib: 'tdesign', path: 'navbar/navbar', tag: 't-navbar',
    props: () => ({ title: 'Orders', leftArrow: true, delta: 1 }),
    events: ['go-back', 'success', 'fail', 'complete'],
    async interact({ comp, clock }) {
      comp.instance.goBack();
      await clock.advance(100);
    },
  },
  {
    name: 'tdesign back-top: scrolls the page',
    lib: 'tdesign', path: 'back-top/back-top', tag: 't-back-top',
    props: () => ({ visible: true, text: 'Top' }),
    events: ['to-top'],
    async interact({ comp, clock }) {
      comp.instance.toTop();
      await clock.advance(500);
    },
  },
  {
    name: 'tdesign action-sheet: an item selected',
    lib: 'tdesign', path: 'action-sheet/action-sheet', tag: 't-action-sheet',
    props: () => ({ visible: true, items: [{ label: 'Share' }, { label: 'Report' }] }),
    events: ['selected', 'close', 'cancel'],
    async interact({ comp, clock }) {
      comp.instance.onSelect?.({ currentTarget: { dataset: { index: 0 } }, detail: { index: 0 } });
      await clock.advance(500);
    },
  },
  {
    name: 'tdesign swiper: remote images rendered, autoplay',
    lib: 'tdesign', path: 'swiper/swiper', tag: 't-swiper',
    props: () => ({ list: [IMG, IMG2], autoplay: true, interval: 1000 }),
    events: ['change', 'click', 'image-load'],
    async interact({ clock }) {
      await clock.advance(2500);
    },
    denied(run) {
      assert.deepEqual(entries(run, 'render', 'image').map((e) => e[4]), ['domain_not_whitelisted', 'domain_not_whitelisted']);
    },
  },
  {
    name: 'tdesign notice-bar: marquee animation',
    lib: 'tdesign', path: 'notice-bar/notice-bar', tag: 't-notice-bar',
    props: () => ({ visible: true, marquee: true, content: 'A long notice that scrolls across the bar' }),
    async interact({ clock }) {
      await clock.advance(3000);
    },
  },
];
