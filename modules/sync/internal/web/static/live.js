// Live progress of "Sync now" (served at /syncs/live.js). Without JavaScript
// the form posts and the server answers with the run's page; with it, the
// page first opens the event stream (/syncs/events, the person's domain events
// over Server-Sent Events), then posts the form in the background, writes
// each event of that connection as a line under the form, and links the run's
// page when the sync has ended.
(function () {
  "use strict";

  var words = {
    AccountSyncAttempted: "Fetching the accounts…",
    TransactionSyncAttempted: "Fetching the transactions…",
    AccountBalanceUpdated: "Balance recorded",
    AccountDriftDetected: "The ledger differs from the bank's balance",
    ConnectionStatusChanged: "The connection's status changed",
    AccountSyncSucceeded: "Accounts synced",
    TransactionSyncSucceeded: "Transactions synced",
    AccountSyncFailed: "The accounts sync failed",
    TransactionSyncFailed: "The transactions sync failed"
  };

  function line(list, text) {
    var li = document.createElement("li");
    li.textContent = text;
    list.appendChild(li);
  }

  function describe(type, data) {
    var text = words[type] || type;
    if (type === "AccountBalanceUpdated" && data.provider_balance) {
      text += ": " + data.provider_balance + " " + (data.currency || "");
    }
    if (data.stats) {
      var s = data.stats;
      text += ": " + (s.added || 0) + " added, " + (s.modified || 0) + " changed, " + (s.removed || 0) + " removed";
    }
    if (data.error && data.error.message) {
      text += ": " + data.error.message;
    }
    return text;
  }

  function enhance(form) {
    var list = document.getElementById(form.getAttribute("data-sync-progress"));
    var connection = form.getAttribute("data-connection-id");
    if (!list || !window.EventSource || !window.fetch || !window.FormData) {
      return;
    }
    form.addEventListener("submit", function (evt) {
      evt.preventDefault();
      var button = form.querySelector("button[type=submit]");
      if (button) {
        button.disabled = true;
      }
      list.hidden = false;
      list.textContent = "";
      line(list, "Starting the sync…");
      var source = new EventSource("/syncs/events");
      var types = Object.keys(words);
      types.forEach(function (type) {
        source.addEventListener(type, function (msg) {
          var data = {};
          try {
            data = JSON.parse(msg.data);
          } catch (e) {
            return;
          }
          if (data.connection_id === connection) {
            line(list, describe(type, data));
          }
        });
      });
      var sent = false;
      function send() {
        if (sent) {
          return;
        }
        sent = true;
        fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
          .then(function (res) {
            // Let the last events arrive, then link the run's page (or the
            // page that says why there was no run).
            window.setTimeout(function () {
              source.close();
              var li = document.createElement("li");
              var a = document.createElement("a");
              a.href = res.url;
              a.textContent = res.url.indexOf("/syncs/runs/") >= 0 ? "See the run" : "See why nothing ran";
              li.appendChild(a);
              list.appendChild(li);
              if (button) {
                button.disabled = false;
              }
            }, 500);
          })
          .catch(function () {
            source.close();
            form.submit();
          });
      }
      source.addEventListener("open", send);
      source.addEventListener("error", function () {
        if (!sent) {
          source.close();
          form.submit();
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-sync-progress]").forEach(enhance);
  });
})();
