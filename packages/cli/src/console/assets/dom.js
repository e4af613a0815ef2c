/**
 * The console's only way to put anything on the page: elements built with the DOM API, text set as
 * text. Nothing here parses HTML, so a message body or a log line can never become markup.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * `h('tr', { class: 'row', data: { id } , on: { click } }, 'text', child)`. Strings and numbers
 * become text nodes; null, undefined and false are skipped; arrays are flattened.
 */
export function h(tag, attributes = {}, ...children) {
  return build(document.createElement(tag), attributes, children);
}

/** The same for SVG elements. */
export function s(tag, attributes = {}, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attributes, children);
}

function build(element, attributes, children) {
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'on') {
      for (const [event, handler] of Object.entries(value)) element.addEventListener(event, handler);
    } else if (name === 'data') {
      for (const [key, item] of Object.entries(value)) element.dataset[key] = String(item);
    } else if (name === 'style') {
      for (const [key, item] of Object.entries(value)) element.style[key] = String(item);
    } else if (/^on/i.test(name)) {
      throw new Error(`event handler attributes are not allowed: ${name}`);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else if (child instanceof Node) element.append(child);
    else element.append(document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element;
}

/** `1234567` -> `1,234,567`; undefined -> `-`. */
export function count(value) {
  return value === undefined || value === null ? '-' : Number(value).toLocaleString('en-US');
}

export function seconds(value) {
  if (value === undefined || value === null) return '-';
  if (value < 120) return `${Math.round(value)} s`;
  if (value < 7200) return `${Math.round(value / 60)} min`;
  return `${Math.round(value / 3600)} h`;
}

export function clock(epochMs) {
  if (!epochMs) return '-';
  const date = new Date(epochMs);
  return date.toLocaleTimeString('en-GB', { hour12: false });
}

export function milliseconds(value) {
  if (value === undefined || value === null) return '-';
  return value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`;
}
