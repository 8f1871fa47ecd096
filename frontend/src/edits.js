// A reader's edits of one artifact: kept in localStorage so they survive a reload, and carried in a
// link's fragment (never sent to the server) so they can be shared.
//
// Storage key: `livepost:edit:v1:SERVER|ARTIFACT:HASH`, where HASH is a hash of the author's code:
// when the post changes, the old edits are not brought back over the new code.
// Link fragment: `#lp=ARTIFACT:CODE`, ARTIFACT percent-encoded (so it holds no ':'), CODE the
// UTF-8 code in base64url.

const PREFIX = 'livepost:edit:v1:';
const FRAGMENT = '#lp=';

/** FNV-1a (32 bits) of the UTF-16 code units plus the length: enough to tell versions apart. */
export function hashCode(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0') + '-' + text.length.toString(36);
}

export class Edits {
  /** @param {string} server the runner's server attribute ('' for the page's own) */
  constructor(server, artifact, original) {
    this.key = PREFIX + (server || '') + '|' + artifact + ':' + hashCode(original);
    this.artifact = artifact;
    this.original = original;
  }

  /** The reader's saved code, or null. */
  load() {
    try {
      const saved = window.localStorage.getItem(this.key);
      return saved !== null && saved !== this.original ? saved : null;
    } catch {
      return null; // storage disabled (privacy settings): edits just do not survive
    }
  }

  /** Saves `code`, or forgets the edits when it is the author's code again. */
  save(code) {
    try {
      if (code === this.original) window.localStorage.removeItem(this.key);
      else window.localStorage.setItem(this.key, code);
    } catch {
      // full or disabled: the edit stays in the page only
    }
  }

  forget() {
    this.save(this.original);
  }

  /** This page's URL with `code` for this artifact in the fragment. */
  link(code) {
    const url = new URL(window.location.href);
    url.hash = FRAGMENT.slice(1) + encodeURIComponent(this.artifact) + ':' + toBase64Url(code);
    return url.href;
  }

  /** The code a link to this artifact carries in the page's URL, or null. */
  fromLocation() {
    const hash = window.location.hash;
    if (!hash.startsWith(FRAGMENT)) return null;
    const rest = hash.slice(FRAGMENT.length);
    const colon = rest.indexOf(':');
    if (colon < 0) return null;
    try {
      if (decodeURIComponent(rest.slice(0, colon)) !== this.artifact) return null;
      return fromBase64Url(rest.slice(colon + 1));
    } catch {
      return null; // a mangled link: the author's code
    }
  }

  /** Drops the link's fragment from the address bar (the code now lives in localStorage). */
  static clearLocation() {
    if (window.location.hash.startsWith(FRAGMENT) && window.history.replaceState) {
      const url = new URL(window.location.href);
      url.hash = '';
      window.history.replaceState(window.history.state, '', url.href);
    }
  }
}

export function toBase64Url(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64Url(s) {
  const binary = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}
