/* Personify chat widget: one <script src=".../widget.js" data-user-id="..."></script> tag.
 * Plain JavaScript, no build step. Optional data-api="https://host" when the API is not
 * served from the script's own origin. With tenants on, add data-key="pk_..." (the
 * tenant's publishable key) and data-user-token="..." (`<user id>.<expiry>.<signature>`,
 * minted by your backend with the tenant's signing key; it expires).
 * window.Personify.mount({userId, userToken}) switches users;
 * window.Personify.setUserToken(token) hands in a fresh token, keeping the conversation. */
(function () {
  "use strict";
  var script = document.currentScript;
  var api = (script && script.dataset.api) || (script ? new URL(script.src, location.href).origin : "");
  var key = script ? script.dataset.key : "";
  var current = null;
  var identity = { userId: "", userToken: "" };

  function headers(extra) {
    var out = extra || {};
    if (key) {
      out["Authorization"] = "Bearer " + key;
      out["X-Personify-User"] = identity.userId;
      out["X-Personify-User-Token"] = identity.userToken;
    }
    return out;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text) node.textContent = text;
    return node;
  }

  function post(path, body) {
    return fetch(api + path, {
      method: "POST", headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify(body)
    });
  }

  function addStyles() {
    if (document.getElementById("pfy-styles")) return;
    var link = el("link", { id: "pfy-styles", rel: "stylesheet", href: api + "/widget.css" });
    document.head.appendChild(link);
  }

  function Widget(userId) {
    this.userId = userId;
    this.session = "widget-" + Math.random().toString(36).slice(2, 10);
    this.opened = false;
    this.build();
  }

  Widget.prototype.build = function () {
    var self = this;
    this.launcher = el("button", {
      type: "button", class: "pfy-launcher", "aria-expanded": "false", "aria-controls": "pfy-panel"
    }, "Ask us");
    this.panel = el("section", {
      id: "pfy-panel", class: "pfy-panel", role: "dialog", "aria-labelledby": "pfy-title", hidden: ""
    });
    var header = el("div", { class: "pfy-header" });
    header.appendChild(el("h2", { id: "pfy-title" }, "Your guide"));
    this.closeButton = el("button", { type: "button", class: "pfy-close", "aria-label": "Close chat" }, "\u00d7");
    header.appendChild(this.closeButton);
    this.log = el("div", { class: "pfy-log", role: "log", "aria-live": "polite", "aria-label": "Conversation" });
    this.form = el("form", { class: "pfy-form" });
    var label = el("label", { for: "pfy-input", class: "pfy-sr" }, "Your message");
    this.input = el("textarea", { id: "pfy-input", rows: "1", placeholder: "Ask about features, guides...", maxlength: "2000" });
    this.send = el("button", { type: "submit" }, "Send");
    this.form.appendChild(label); this.form.appendChild(this.input); this.form.appendChild(this.send);
    this.panel.appendChild(header); this.panel.appendChild(this.log); this.panel.appendChild(this.form);
    document.body.appendChild(this.launcher); document.body.appendChild(this.panel);

    this.launcher.addEventListener("click", function () { self.toggle(); });
    this.closeButton.addEventListener("click", function () { self.close(); });
    this.panel.addEventListener("keydown", function (e) { if (e.key === "Escape") self.close(); });
    this.form.addEventListener("submit", function (e) { e.preventDefault(); self.ask(); });
    this.input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); self.ask(); }
    });
  };

  Widget.prototype.toggle = function () { if (this.panel.hidden) this.open(); else this.close(); };

  Widget.prototype.open = function () {
    this.panel.hidden = false;
    this.launcher.setAttribute("aria-expanded", "true");
    this.input.focus();
    if (!this.opened) { this.opened = true; this.onboard(); }
  };

  Widget.prototype.close = function () {
    this.panel.hidden = true;
    this.launcher.setAttribute("aria-expanded", "false");
    this.launcher.focus();
  };

  Widget.prototype.destroy = function () { this.launcher.remove(); this.panel.remove(); };

  Widget.prototype.bubble = function (who, text) {
    var node = el("div", { class: "pfy-msg pfy-" + who }, text || "");
    this.log.appendChild(node);
    this.log.scrollTop = this.log.scrollHeight;
    return node;
  };

  Widget.prototype.cards = function (cards) {
    if (!cards || !cards.length) return;
    var self = this;
    var list = el("div", { class: "pfy-cards", role: "list" });
    cards.forEach(function (card) {
      var button = el("button", {
        type: "button", class: "pfy-card", role: "listitem", "data-item-id": card.item_id, "aria-pressed": "false"
      });
      button.appendChild(el("strong", {}, card.title));
      if (card.description) button.appendChild(el("span", {}, card.description));
      button.appendChild(el("span", { class: "pfy-why" }, "Why: " + card.reason));
      button.addEventListener("click", function () { self.clicked(card, button); });
      list.appendChild(button);
    });
    this.log.appendChild(list);
    this.log.scrollTop = this.log.scrollHeight;
  };

  Widget.prototype.clicked = function (card, button) {
    var id = "widget-" + Date.now() + "-" + Math.random().toString(36).slice(2, 8);
    post("/v1/events", { events: [{
      event_id: id, user_id: this.userId, type: "card_click", item_id: card.item_id,
      properties: { source: "widget", session_id: this.session }
    }] }).then(function (response) {
      if (response.ok) { button.setAttribute("aria-pressed", "true"); button.dataset.recorded = "true"; }
    });
  };

  Widget.prototype.onboard = function () {
    var self = this;
    var bubble = this.bubble("bot", "\u2026");
    post("/v1/users/" + encodeURIComponent(this.userId) + "/onboarding", {})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (plan) {
        bubble.textContent = plan.message;
        return Promise.all(plan.items.map(function (item) {
          return fetch(api + "/v1/items/" + encodeURIComponent(item.item_id), { headers: headers() })
            .then(function (r) { return r.ok ? r.json() : {}; })
            .then(function (full) {
              return { item_id: item.item_id, title: item.title, reason: item.reason,
                description: (full.description || "").slice(0, 140) };
            });
        }));
      })
      .then(function (cards) { self.cards(cards); })
      .catch(function () { bubble.textContent = "Hi! Ask me anything about the product."; });
  };

  Widget.prototype.ask = function () {
    var text = this.input.value.trim();
    if (!text || this.send.disabled) return;
    this.input.value = "";
    this.bubble("user", text);
    this.send.disabled = true;
    var self = this;
    var bubble = this.bubble("bot", "");
    bubble.setAttribute("aria-busy", "true");
    post("/v1/chat", { user_id: this.userId, session_id: this.session, message: text, stream: true })
      .then(function (response) {
        if (!response.ok || !response.body) throw new Error("HTTP " + response.status);
        return self.read(response.body.getReader(), bubble);
      })
      .catch(function () { bubble.textContent = "Sorry, something went wrong. Please try again."; })
      .then(function () {
        bubble.removeAttribute("aria-busy");
        self.send.disabled = false;
        self.input.focus();
      });
  };

  /* Server-sent events over fetch: token deltas, an optional replace, then done. */
  Widget.prototype.read = function (reader, bubble) {
    var self = this, decoder = new TextDecoder(), buffer = "";
    function handle(block) {
      var kind = "message", data = "";
      block.split("\n").forEach(function (line) {
        if (line.indexOf("event: ") === 0) kind = line.slice(7);
        else if (line.indexOf("data: ") === 0) data += line.slice(6);
      });
      if (!data) return;
      var payload = JSON.parse(data);
      if (kind === "token") { bubble.textContent += payload.text; bubble.dataset.chunks = String(+(bubble.dataset.chunks || 0) + 1); }
      else if (kind === "replace") bubble.textContent = payload.message;
      else if (kind === "done") { bubble.textContent = payload.message; self.cards(payload.cards); }
      else if (kind === "error") bubble.textContent = payload.message;
      self.log.scrollTop = self.log.scrollHeight;
    }
    function pump() {
      return reader.read().then(function (result) {
        if (result.done) { if (buffer.trim()) handle(buffer); return; }
        buffer += decoder.decode(result.value, { stream: true });
        var blocks = buffer.split("\n\n");
        buffer = blocks.pop();
        blocks.forEach(handle);
        return pump();
      });
    }
    return pump();
  };

  window.Personify = {
    mount: function (options) {
      addStyles();
      if (current) current.destroy();
      identity = { userId: options.userId, userToken: options.userToken || "" };
      current = new Widget(options.userId);
      return current;
    },
    setUserToken: function (token) { identity.userToken = token; },
    widget: function () { return current; }
  };
  if (script && script.dataset.userId) {
    var start = function () {
      window.Personify.mount({ userId: script.dataset.userId, userToken: script.dataset.userToken });
    };
    if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
  }
})();
