// Component attributes the base library renders from mini program markup
// (guard.checkAttribute, ./doors.js COMPONENTS): a `src` or `poster` as its
// door's kind, a `style` with every `url(...)` checked as media, a rich-text
// `nodes` tree or HTML string with every `src`, `poster`, `href` and style
// checked; the answer is the value with each target replaced by what was
// checked. Where a target could hide from this reading (a CSS escape, an
// `image-set(`, an HTML entity, a `srcset`) the value is `invalid_url`
// rather than decoded by a second parser here.

import { freeze, slice, append, own, ownKeys, isArray, TypeErrorCtor } from './safe.js';
import { styleUrls, cssEscape } from './css.js';
import { lower } from './targets.js';

const StringCtor = String;

/** Attribute vetting over ./targets.js: `{ vetAttribute(ctx, kind, value) }`. */
export function createAttributes(targets) {
  const { vet, vetMedia, invalid, tooLong, OK } = targets;

  /**
   * A component attribute (checkAttribute): `{ ok, value, r }` for the kind
   * of COMPONENTS; `style` rewrites every url(...) of a declaration list,
   * `nodes` every src, poster and style of a rich-text node tree or HTML.
   */
  function vetAttribute(ctx, kind, value) {
    if (kind === 'style') return vetStyle(ctx, value);
    if (kind === 'nodes') return vetNodes(ctx, value);
    return vet(ctx, kind, value);
  }

  function vetStyle(ctx, s) {
    if (typeof s !== 'string') throw new TypeErrorCtor('`value` must be a string');
    if (tooLong(s)) return invalid(ctx, s);
    const parts = styleUrls(s);
    if (parts === null) return invalid(ctx, '');
    let out = '';
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (p.url === undefined) { out += p.text; continue; }
      const r = vetMedia(ctx, p.url);
      if (!r.ok) return r;
      out += `url("${cssEscape(r.value)}")`;
    }
    return OK(out);
  }

  function vetNodes(ctx, nodes) {
    if (typeof nodes === 'string') return vetHtml(ctx, nodes);
    if (!isArray(nodes)) throw new TypeErrorCtor('rich-text `nodes` must be an array or a string');
    const out = [];
    for (let i = 0; i < nodes.length && i < 10000; i++) {
      const r = vetNode(ctx, nodes[i], 0);
      if (!r.ok) return r;
      append(out, r.value);
    }
    return OK(freeze(out));
  }

  function vetNode(ctx, node, depth) {
    if (node === null || typeof node !== 'object' || depth > 64) return OK(node);
    const copy = {};
    const keys = ownKeys(node);
    for (let i = 0; i < keys.length; i++) own(copy, keys[i], node[keys[i]]);
    const attrs = copy.attrs;
    if (attrs !== null && typeof attrs === 'object') {
      const a = {};
      const names = ownKeys(attrs);
      for (let i = 0; i < names.length; i++) {
        const k = names[i];
        if (typeof k !== 'string') continue;
        const v = attrs[k];
        const name = lowerAll(k);
        if (name === 'srcset') return invalid(ctx, '');
        let r = null;
        if (name === 'src' || name === 'poster' || name === 'href') r = vetMedia(ctx, StringCtor(v));
        else if (name === 'style') r = vetStyle(ctx, StringCtor(v));
        if (r !== null && !r.ok) return r;
        own(a, k, r === null ? v : r.value);
      }
      own(copy, 'attrs', freeze(a));
    }
    const children = copy.children;
    if (isArray(children)) {
      const kids = [];
      for (let i = 0; i < children.length && i < 10000; i++) {
        const r = vetNode(ctx, children[i], depth + 1);
        if (!r.ok) return r;
        append(kids, r.value);
      }
      own(copy, 'children', freeze(kids));
    }
    return OK(freeze(copy));
  }

  // rich-text HTML: every src, poster, href and style attribute value is
  // vetted and written back double-quoted; an entity (&) or a srcset in a
  // value the parser would resolve is refused, not decoded here.
  function vetHtml(ctx, html) {
    if (tooLong(html)) return invalid(ctx, html);
    const attrs = htmlAttributes(html);
    if (attrs === null) return invalid(ctx, '');
    let out = '';
    let at = 0;
    for (let i = 0; i < attrs.length; i++) {
      const a = attrs[i];
      let r;
      if (a.name === 'style') r = vetStyle(ctx, a.value);
      else r = vetMedia(ctx, a.value);
      if (!r.ok) return r;
      out += `${slice(html, at, a.start)}"${htmlEscape(r.value)}"`;
      at = a.end;
    }
    return OK(out + slice(html, at, html.length));
  }

  return freeze({ __proto__: null, vetAttribute });
}

function lowerAll(s) {
  let out = '';
  for (let i = 0; i < s.length; i++) out += lower(s[i]);
  return out;
}

function htmlEscape(s) {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    out += c === '"' ? '&quot;' : c === '&' ? '&amp;' : c === '<' ? '&lt;' : c;
  }
  return out;
}

/**
 * The src, poster, href and style attributes of the tags of `html`:
 * [{ name, value, start, end }] with `start`/`end` the value's extent
 * (quotes included); null when one cannot be read plainly (an entity or a
 * srcset there, a tag left open).
 */
function htmlAttributes(html) {
  const out = [];
  const n = html.length;
  let i = 0;
  const space = (c) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f';
  while (i < n) {
    if (html[i] !== '<') { i++; continue; }
    i++;
    if (i < n && (html[i] === '!' || html[i] === '/' || html[i] === '?')) { while (i < n && html[i] !== '>') i++; continue; }
    while (i < n && !space(html[i]) && html[i] !== '>' && html[i] !== '/') i++;
    for (;;) {
      while (i < n && (space(html[i]) || html[i] === '/')) i++;
      if (i >= n) return null;
      if (html[i] === '>') { i++; break; }
      let name = '';
      while (i < n && !space(html[i]) && html[i] !== '=' && html[i] !== '>' && html[i] !== '/') name += lower(html[i++]);
      while (i < n && space(html[i])) i++;
      if (html[i] !== '=') continue;
      i++;
      while (i < n && space(html[i])) i++;
      const start = i;
      let value = '';
      if (html[i] === '"' || html[i] === '\'') {
        const q = html[i++];
        while (i < n && html[i] !== q) value += html[i++];
        if (i >= n) return null;
        i++;
      } else {
        while (i < n && !space(html[i]) && html[i] !== '>') value += html[i++];
      }
      const watched = name === 'src' || name === 'poster' || name === 'href' || name === 'style';
      if (name === 'srcset') return null;
      if (watched) {
        for (let k = 0; k < value.length; k++) if (value[k] === '&') return null;
        append(out, freeze({ __proto__: null, name, value, start, end: i }));
      }
    }
  }
  return out;
}
