// Every door: where an API of `wx`, a method or setter of an object it
// returns, or a component attribute takes a network target, and which check
// applies. ONE table, read by the bridge and by the tests:
// js/test/door-sites.test.mjs fails when the typings of
// miniprogram-api-typings or minigame-api-typings have a site (a parameter or
// member whose name or doc says URL, host, path, src, icon or image) that
// neither this table nor ./not-targets.js classifies. Contract:
// docs/policy.md §3.7.
//
// Kinds of door:
//   request upload download socket webview   a URL, checked as that kind
//   media   an image, font, audio or video source, a canvas image, a marker
//           icon (§3.7 v3): guard-core's `media` check classifies it (local
//           and inline forms, local prefixes, or the media domain list) and
//           answers what goes on
//   css     media inside a CSS `url(...)` (loadFontFace's `source`)
//   file    a local file path the platform may also take as a URL: a local
//           path passes, anything else is checked as `download`
//   tcp udp a raw socket's `address` (with `port` beside it)
//
// A call spec says which argument holds what: `{ 0: { url: 'request' } }`
// (option `url` of argument 0), `{ 0: { 'urls[]': 'media' } }` (the items of
// an array option), `{ 0: { 'sources[].url': 'media' } }` (a field of an
// array option's items), `{ 0: 'media' }` (argument 0 itself).
// OBJECT_DOORS: interface -> { set: { property: kind }, methods: { name:
// call spec } }. Which interface an API or method answers comes from the
// typings (./typings.js), and OBJECT_RETURNS adds what they leave untyped.
//
// A name the table and the typings do not know (a superapp's custom API, an
// API the host adds after wrap, an object of an unknown interface) is not an
// open door: every string it is handed that names an authority (`x://…`,
// `//…`, `\\…`) is checked as UNKNOWN_CHECK (./vet.js), one level into its
// options (decision 196).

import { APIS, INTERFACES } from './typings.js';

const objectFreeze = Object.freeze;
const setPrototypeOf = Object.setPrototypeOf;
const isArray = Array.isArray;
const keysOf = Object.keys;
// Specs are null-prototype and frozen, all the way down: the bridge reads
// fields at call time, and a property planted on Object.prototype must not
// answer for a field a spec lacks.
function deepFreeze(o) {
  if (o === null || typeof o !== 'object') return o;
  if (!isArray(o)) setPrototypeOf(o, null);
  for (const k of keysOf(o)) deepFreeze(o[k]);
  return objectFreeze(o);
}

/** The check every `media` target gets: guard-core's `media` kind (contract v3 §3.7), which classifies it too. */
export const MEDIA_CHECK = 'media';
/** The check a target gets where the table knows no door (a custom or late API, an unknown object). */
export const UNKNOWN_CHECK = 'request';
/** The kinds a door may have. */
export const KINDS = objectFreeze(['request', 'upload', 'download', 'socket', 'webview', 'media', 'css', 'file', 'tcp', 'udp']);

const M = 'media';
const F = 'file';

/** API name -> call spec. */
export const API_DOORS = deepFreeze({
  // The four request APIs.
  request: { 0: { url: 'request' } },
  uploadFile: { 0: { url: 'upload', filePath: F } },
  downloadFile: { 0: { url: 'download' } },
  connectSocket: { 0: { url: 'socket' } },
  // Pages opened in a web view.
  openOfficialAccountArticle: { 0: { url: 'webview' } },
  // What the platform shows or plays.
  getImageInfo: { 0: { src: M } },
  previewImage: { 0: { 'urls[]': M, current: M } },
  previewMedia: { 0: { 'sources[].url': M, 'sources[].poster': M } },
  preloadAssets: { 0: { 'data[].src': M } },
  loadFontFace: { 0: { source: 'css' } },
  playBackgroundAudio: { 0: { dataUrl: M, coverImgUrl: M } },
  setTabBarItem: { 0: { iconPath: M, selectedIconPath: M } },
  showToast: { 0: { image: M } },
  join1v1Chat: { 0: { 'caller.headImage': M, 'listener.headImage': M } },
  openCustomerServiceChat: { 0: { sendMessageImg: M } },
  openCustomerServiceConversation: { 0: { sendMessageImg: M } },
  shareAppMessage: { 0: { imageUrl: M } },
  shareAppMessageToGroup: { 0: { imageUrl: M } },
  shareMessageToFriend: { 0: { imageUrl: M } },
  modifyFriendInteractiveStorage: { 0: { imageUrl: M } },
  createVideo: { 0: { src: M, poster: M } },
  createUserInfoButton: { 0: { image: M } },
  createOpenSettingButton: { 0: { image: M } },
  createFeedbackButton: { 0: { image: M } },
  createGameClubButton: { 0: { image: M } },
  createGameRecorderShareButton: { 0: { icon: M, image: M, 'share.bgm': F } },
  operateGameRecorderVideo: { 0: { bgm: F } },
  // Local files the platform reads, saves or shares; some runtimes also take a URL.
  saveImageToPhotosAlbum: { 0: { filePath: F } },
  saveVideoToPhotosAlbum: { 0: { filePath: F } },
  saveFileToDisk: { 0: { filePath: F } },
  openDocument: { 0: { filePath: F } },
  openVideoEditor: { 0: { filePath: F } },
  playVoice: { 0: { filePath: F } },
  compressImage: { 0: { src: F } },
  compressVideo: { 0: { src: F } },
  cropImage: { 0: { src: F } },
  editImage: { 0: { src: F } },
  getVideoInfo: { 0: { src: F } },
  shareFileMessage: { 0: { filePath: F } },
  shareVideoMessage: { 0: { videoPath: F, thumbPath: F } },
  showShareImageMenu: { 0: { path: F } },
  addVideoToFavorites: { 0: { videoPath: F, thumbPath: F } },
  addFileToFavorites: { 0: { filePath: F } },
  addPhoneContact: { 0: { photoFilePath: F } },
  shareImageToGroup: { 0: { imagePath: F } },
  shareEmojiToGroup: { 0: { imagePath: F } },
  shareVideoToGroup: { 0: { videoPath: F, thumbPath: F } },
  shareFileToGroup: { 0: { filePath: F } },
  shareToOfficialAccount: { 0: { 'images[]': F } },
  createInferenceSession: { 0: { model: F } },
  loadFont: { 0: F },
  setCursor: { 0: F },
  'cloud.uploadFile': { 0: { filePath: F } },
  'cloud.CDN': { 0: { filePath: F } },
});

const image = { set: { src: M } };
const button = { set: { image: M } };

/** Interface -> { set, methods } of the objects APIs and methods answer. */
export const OBJECT_DOORS = deepFreeze({
  InnerAudioContext: { set: { src: M } },
  BackgroundAudioManager: { set: { src: M, coverImgUrl: M, webUrl: 'webview' } },
  AudioContext: { methods: { setSrc: { 0: M } } },
  Image: image,
  Video: { set: { src: M, poster: M } },
  UserInfoButton: button,
  OpenSettingButton: button,
  FeedbackButton: button,
  GameClubButton: button,
  GameRecorderShareButton: { set: { image: M, icon: M } },
  VideoDecoder: { methods: { start: { 0: { source: M } } } },
  MediaContainer: { methods: { extractDataSource: { 0: { source: F } } } },
  VKSession: { methods: { addMarker: { 0: F }, addOSDMarker: { 0: F } } },
  MapContext: {
    methods: {
      addMarkers: { 0: { 'markers[].iconPath': M } },
      addGroundOverlay: { 0: { src: M } },
      updateGroundOverlay: { 0: { src: M } },
      setLocMarkerIcon: { 0: { iconPath: M } },
      getCenterLocation: { 0: { iconPath: M } },
    },
  },
  EditorContext: { methods: { insertImage: { 0: { src: M } } } },
  LivePusherContext: {
    methods: {
      playBGM: { 0: { url: M } },
      applyBlusherStickMakeup: { 0: { path: M } },
      applyEyeBrowMakeup: { 0: { path: M } },
      applyEyeShadowMakeup: { 0: { path: M, shimmerPosition: M } },
      applyFaceContourMakeup: { 0: { path: M } },
      applyFilter: { 0: { path: M } },
      applyLipStickMakeup: { 0: { path: M, shimmerPath: M } },
      applySticker: { 0: { 'stickers[].path': M } },
    },
  },
  CanvasContext: { methods: { drawImage: { 0: M }, createPattern: { 0: M } } },
  // The 2D context takes an Image (whose src was checked when set); a plain
  // object with a `src` in its place is checked as media.
  CanvasRenderingContext2D: { methods: { drawImage: { 0: { src: M } }, createPattern: { 0: { src: M } } } },
  // A WebGL or WebGL2 context (its typings split it into several
  // interfaces, INTERFACE_PARTS): an image source argument with a `src`.
  WebGLContext: { methods: { texImage2D: { 5: { src: M }, 8: { src: M } }, texSubImage2D: { 6: { src: M }, 8: { src: M } }, texImage3D: { 9: { src: M } }, texSubImage3D: { 10: { src: M } } } },
  UDPSocket: { methods: { send: { 0: { address: 'udp' } }, write: { 0: { address: 'udp' } }, connect: { 0: { address: 'udp' } } } },
  TCPSocket: { methods: { connect: { 0: { address: 'tcp' } } } },
});

/**
 * What an API or method answers where the typings leave it untyped (`any`):
 * name -> interface. The rest comes from ./typings.js; `Canvas.getContext`
 * answers a 2D or a WebGL context, told apart by CALLBACK_OBJECTS.
 */
export const OBJECT_RETURNS = deepFreeze({});

/** Interfaces of the typings that are parts of one object of OBJECT_DOORS. */
export const INTERFACE_PARTS = deepFreeze({
  CanvasDrawImage: 'CanvasRenderingContext2D',
  CanvasFillStrokeStyles: 'CanvasRenderingContext2D',
  WebGLRenderingContextBase: 'WebGLContext',
  WebGLRenderingContextOverloads: 'WebGLContext',
  WebGL2RenderingContextBase: 'WebGLContext',
  WebGL2RenderingContextOverloads: 'WebGLContext',
});

/**
 * Objects whose interface nothing types: a canvas node or a context a
 * SelectorQuery callback receives, what Canvas.getContext answers, any
 * platform object an API answers untyped. They are told apart by a method
 * only their interface has: [method, interface], tried in order.
 */
export const CALLBACK_OBJECTS = deepFreeze([
  ['insertImage', 'EditorContext'],
  ['addMarkers', 'MapContext'],
  ['playBGM', 'LivePusherContext'],
  ['createImage', 'Canvas'],
  ['setSrc', 'AudioContext'],
  ['setFillStyle', 'CanvasContext'],
  ['texImage2D', 'WebGLContext'],
  ['drawImage', 'CanvasRenderingContext2D'],
]);

/** Methods whose callbacks receive such objects (in `node`, `context`, or the results array). */
export const CALLBACK_RESULTS = deepFreeze({
  SelectorQuery: { exec: true },
  NodesRef: { fields: true, node: true, context: true, boundingClientRect: true, scrollOffset: true },
});

/**
 * Component attributes the base library renders from mini program markup:
 * component -> attribute -> kind. The base library asks
 * `guard.checkAttribute(appId, component, attribute, value)` before it sets
 * one and renders the answered `href`. `style` is any CSS declaration list:
 * every `url(...)` in it is checked (./targets.js); `nodes` is rich-text's
 * node tree or HTML string: every `src`, `href`, `poster` and style url in it.
 */
export const COMPONENTS = deepFreeze({
  image: { src: M, style: 'style' },
  'cover-image': { src: M, style: 'style' },
  video: { src: M, poster: M, style: 'style' },
  audio: { src: M, poster: M, style: 'style' },
  'live-player': { src: 'download', style: 'style' },
  'live-pusher': { url: 'upload', 'waiting-image': M, style: 'style' },
  map: { 'markers[].iconPath': M, 'polygons[].fillImage': M, style: 'style' },
  'web-view': { src: 'webview' },
  'rich-text': { nodes: 'nodes', style: 'style' },
  view: { style: 'style' },
  text: { style: 'style' },
  button: { style: 'style' },
  'scroll-view': { style: 'style' },
  swiper: { style: 'style' },
  'swiper-item': { style: 'style' },
  'movable-view': { style: 'style' },
  'cover-view': { style: 'style' },
  navigator: { style: 'style' },
  canvas: { style: 'style' },
});

const STYLES = objectFreeze({ __proto__: null, c: 'callback', p: 'promise', s: 'sync', l: 'listener', r: 'object', n: 'plain' });

function parseShape(s) {
  const [args, style, returns] = s.split('|');
  return objectFreeze({ __proto__: null, args, style: STYLES[style], returns: returns === '' ? null : returns });
}

// Parsed now, at evaluation: the bridge reads them at call time, when
// String.prototype.split may no longer be the realm's.
const apiShapes = { __proto__: null };
for (const name of keysOf(APIS)) apiShapes[name] = parseShape(APIS[name]);
const methodShapes = { __proto__: null };
for (const iface of keysOf(INTERFACES)) {
  const out = { __proto__: null };
  const text = INTERFACES[iface];
  if (text !== '') {
    for (const entry of text.split(' ')) {
      const at = entry.indexOf(':');
      out[entry.slice(0, at)] = parseShape(entry.slice(at + 1));
    }
  }
  methodShapes[iface] = objectFreeze(out);
}
// An object of OBJECT_DOORS made of several typings interfaces has all
// their methods.
for (const part of keysOf(INTERFACE_PARTS)) {
  const whole = INTERFACE_PARTS[part];
  const merged = { __proto__: null, ...(methodShapes[whole] ?? {}) };
  for (const m of keysOf(methodShapes[part] ?? {})) if (merged[m] === undefined) merged[m] = methodShapes[part][m];
  methodShapes[whole] = objectFreeze(merged);
}
objectFreeze(apiShapes);
objectFreeze(methodShapes);

/** The call shape of an API from the typings: `{ args, style, returns }`, or undefined. */
export function apiShape(name) {
  return apiShapes[name];
}

/**
 * The methods of an interface from the typings: name -> `{ args, style,
 * returns }` (null-prototype, frozen), or undefined.
 */
export function interfaceMethods(iface) {
  return methodShapes[iface];
}
