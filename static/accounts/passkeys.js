/* Passkey ceremonies in the browser (WebAuthn), no third-party code.
 *
 * Account page: [data-passkey-register] asks /api/passkey/register/options for creation options,
 * runs navigator.credentials.create and posts the result to /api/passkey/register (session + CSRF).
 * When that was the first second factor, the answer carries ten backup codes: they are shown once,
 * here, until the user confirms they kept them.
 * Sign-in stage: [data-passkey-login] uses the request options embedded in #passkey-options,
 * runs navigator.credentials.get and submits the assertion with #passkey-login-form.
 */
(function () {
  "use strict";

  function toBuffer(b64url) {
    const b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
    const padded = b64 + "=".repeat((4 - (b64.length % 4)) % 4);
    const binary = atob(padded);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toB64url(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = "";
    for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) { return Object.assign({}, d, { id: toBuffer(d.id) }); });
  }

  function creationOptions(publicKey) {
    return Object.assign({}, publicKey, {
      challenge: toBuffer(publicKey.challenge),
      user: Object.assign({}, publicKey.user, { id: toBuffer(publicKey.user.id) }),
      excludeCredentials: descriptors(publicKey.excludeCredentials),
    });
  }

  function requestOptions(publicKey) {
    return Object.assign({}, publicKey, {
      challenge: toBuffer(publicKey.challenge),
      allowCredentials: descriptors(publicKey.allowCredentials),
    });
  }

  function registrationJSON(cred) {
    const response = {
      clientDataJSON: toB64url(cred.response.clientDataJSON),
      attestationObject: toB64url(cred.response.attestationObject),
    };
    if (cred.response.getTransports) response.transports = cred.response.getTransports();
    return {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      response: response,
      authenticatorAttachment: cred.authenticatorAttachment || null,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
    };
  }

  function assertionJSON(cred) {
    return {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      response: {
        clientDataJSON: toB64url(cred.response.clientDataJSON),
        authenticatorData: toB64url(cred.response.authenticatorData),
        signature: toB64url(cred.response.signature),
        userHandle: cred.response.userHandle ? toB64url(cred.response.userHandle) : null,
      },
      authenticatorAttachment: cred.authenticatorAttachment || null,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
    };
  }

  function say(form, text) {
    const status = form.querySelector("[data-passkey-status]");
    if (status) status.textContent = text;
  }

  function supported(form) {
    if (window.PublicKeyCredential && navigator.credentials) return true;
    say(form, "This browser does not support passkeys.");
    return false;
  }

  async function postJSON(url, csrf, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: JSON.stringify(body || {}),
    });
    const data = await response.json().catch(function () { return {}; });
    if (!response.ok) throw new Error(data.detail || "Request failed (" + response.status + ")");
    return data;
  }

  async function register(form) {
    if (!supported(form)) return;
    const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    try {
      say(form, "Follow your browser's prompt…");
      const options = await postJSON(form.dataset.optionsUrl, csrf, {});
      const cred = await navigator.credentials.create({ publicKey: creationOptions(options.publicKey) });
      const name = (form.querySelector("input[name=name]") || {}).value || "";
      const password = (form.querySelector("input[name=current_password]") || {}).value || "";
      const added = await postJSON(form.dataset.registerUrl, csrf, {
        challenge_id: options.challenge_id, credential: registrationJSON(cred), name: name,
        current_password: password,
      });
      if (added.backup_codes && added.backup_codes.length) {
        say(form, "Passkey added.");
        showBackupCodes(form, added.backup_codes);
        return;
      }
      say(form, "Passkey added.");
      window.location.reload();
    } catch (err) {
      say(form, "Could not add the passkey: " + err.message);
    }
  }

  function showBackupCodes(form, codes) {
    const box = document.createElement("div");
    box.className = "fresh-codes";
    box.setAttribute("data-backup-codes", "");
    const intro = document.createElement("p");
    intro.textContent = "Two-factor sign-in is on. Keep these backup codes somewhere safe: each one signs you in " +
      "once if you lose your passkey. They are shown only now.";
    const list = document.createElement("ul");
    list.className = "codes";
    codes.forEach(function (code) {
      const item = document.createElement("li");
      const text = document.createElement("code");
      text.textContent = code;
      item.appendChild(text);
      list.appendChild(item);
    });
    const done = document.createElement("button");
    done.type = "button";
    done.className = "btn";
    done.textContent = "I have saved them";
    done.addEventListener("click", function () { window.location.reload(); });
    box.append(intro, list, done);
    form.appendChild(box);
  }

  async function login(form) {
    if (!supported(form)) return;
    const node = document.getElementById("passkey-options");
    if (!node) return;
    const options = JSON.parse(node.textContent);
    try {
      say(form, "Follow your browser's prompt…");
      const cred = await navigator.credentials.get({ publicKey: requestOptions(options.publicKey) });
      form.querySelector("#passkey-credential").value = JSON.stringify(assertionJSON(cred));
      form.submit();
    } catch (err) {
      say(form, "Passkey sign-in was cancelled or failed: " + err.message);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    const registerButton = document.querySelector("[data-passkey-register]");
    if (registerButton) {
      registerButton.addEventListener("click", function () { register(registerButton.closest("form")); });
    }
    const loginButton = document.querySelector("[data-passkey-login]");
    if (loginButton) {
      loginButton.addEventListener("click", function () { login(loginButton.closest("form")); });
    }
  });
})();
