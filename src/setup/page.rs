//! Every word the setup pages say, in one place. Values are escaped; nothing secret is shown.

use std::path::Path;

use super::github::NewApp;
use crate::cli::manifest::{EVENTS, PERMISSIONS};

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Escaped text, with `code` spans as <code>.
fn prose(text: &str) -> String {
    let escaped = escape(text);
    let mut html = String::new();
    for (index, part) in escaped.split('`').enumerate() {
        if index % 2 == 1 {
            html.push_str(&format!("<code>{part}</code>"));
        } else {
            html.push_str(part);
        }
    }
    html
}

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · releasebot setup</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.45}}\
         table{{border-collapse:collapse}}td,th{{text-align:left;padding:.2rem .6rem .2rem 0;vertical-align:top}}\
         code{{background:#f3f3f3;padding:0 .2rem}}button{{font-size:1.05rem;padding:.4rem 1rem}}\
         .problem{{border-left:4px solid #c00;padding-left:.8rem}}</style></head>\
         <body><h1>{title}</h1>\n{body}\n</body></html>\n",
        title = escape(title)
    )
}

/// What the start page needs to know.
pub struct Start<'a> {
    /// GitHub's web host, e.g. https://github.com.
    pub github: &'a str,
    pub org: Option<&'a str>,
    pub name: &'a str,
    pub webhook_url: Option<&'a str>,
    /// Why the webhook URL cannot be used, when it cannot.
    pub webhook_problem: Option<String>,
    /// Where the manifest form posts (with the fresh state), when it can be sent.
    pub form_action: Option<String>,
    /// The manifest, as JSON text.
    pub manifest: &'a str,
    pub config_file: &'a Path,
    pub key_file: &'a Path,
    pub overwrite: bool,
}

pub fn start(page: &Start) -> String {
    let owner = match page.org {
        Some(org) => format!("the organisation <strong>{}</strong>", escape(org)),
        None => {
            "<strong>your own account</strong> (whoever is signed in to GitHub in this browser)"
                .to_string()
        }
    };
    let mut permissions = String::new();
    for (permission, access, why) in PERMISSIONS {
        permissions.push_str(&format!(
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            escape(permission),
            escape(access),
            prose(why)
        ));
    }
    let mut events = String::new();
    for (event, why) in EVENTS {
        events.push_str(&format!(
            "<tr><td><code>{}</code></td><td>{}</td></tr>",
            escape(event),
            prose(why)
        ));
    }
    let existing = if page.overwrite {
        "Files already there are replaced (<code>--overwrite</code>)."
    } else {
        "Neither file existed when setup started, and none is replaced: setup refuses to start \
         when one does (give other paths, or <code>--overwrite</code>)."
    };
    let submit = match (&page.form_action, &page.webhook_problem) {
        (Some(action), None) => format!(
            "<form id=\"manifest-form\" method=\"post\" action=\"{action}\">\
             <input type=\"hidden\" name=\"manifest\" value=\"{manifest}\">\
             <p><button id=\"create\" type=\"submit\">Create the App on GitHub</button></p></form>\
             <p>GitHub shows you the App first (you may rename it there) and creates it only when \
             you confirm; then it sends you back here, and this page finishes the setup.</p>",
            action = escape(action),
            manifest = escape(page.manifest),
        ),
        (_, problem) => format!(
            "<p class=\"problem\" id=\"problem\">{}</p>",
            prose(problem.as_deref().unwrap_or(
                "Give the webhook URL: the address where GitHub will reach `releasebot serve`, ending in /webhook."
            ))
        ),
    };
    let body = format!(
        "<p>This registers a GitHub App for releasebot on <code>{github}</code> under {owner}, \
         through GitHub's manifest flow, and writes what <code>releasebot serve</code> needs to \
         run as that App.</p>\
         <h2>What the App may do</h2>\
         <table><tr><th>permission</th><th>access</th><th>why</th></tr>{permissions}</table>\
         <h2>What GitHub tells it</h2>\
         <table><tr><th>event</th><th>why</th></tr>{events}</table>\
         <p>GitHub sends these events to <code>{webhook}</code>, signed with a secret it makes.</p>\
         <h2>Where it goes</h2>\
         <form id=\"owner-form\" method=\"get\" action=\"/\">\
         <p><label>Organisation (leave empty for your own account) \
         <input id=\"org\" name=\"org\" value=\"{org}\"></label></p>\
         <p><label>App name <input id=\"name\" name=\"name\" value=\"{name}\"></label></p>\
         <p><label>Webhook URL <input id=\"webhook_url\" name=\"webhook_url\" size=\"48\" value=\"{webhook}\"></label></p>\
         <p><button id=\"change\" type=\"submit\">Change</button></p></form>\
         <p>The App's id and webhook secret go to <code>{config}</code>, its private key to \
         <code>{key}</code>; both are readable by you only (mode 0600). {existing} The key and \
         the secrets are never shown or printed.</p>\
         <h2>Create it</h2>{submit}",
        github = escape(page.github),
        org = escape(page.org.unwrap_or("")),
        name = escape(page.name),
        webhook = escape(page.webhook_url.unwrap_or("")),
        config = escape(&page.config_file.display().to_string()),
        key = escape(&page.key_file.display().to_string()),
    );
    layout("Create the releasebot GitHub App", &body)
}

pub fn done(app: &NewApp, config_file: &Path, webhook_url: &str) -> String {
    let body = format!(
        "<p id=\"done\">GitHub created the App <strong>{slug}</strong> (id {id}), and its settings \
         are written to <code>{config}</code>, with the private key in a file of its own beside \
         them, both readable by you only.</p>\
         <h2>Next</h2><ol>\
         <li><a id=\"install\" href=\"{install}\">Install the App</a> on the repositories it \
         should release.</li>\
         <li>Start the server where GitHub reaches <code>{webhook}</code>:<br>\
         <code>releasebot serve --config-file {config}</code></li></ol>\
         <p>Setup is finished and has stopped; this page will not change.</p>",
        slug = escape(&app.slug),
        id = app.id,
        config = escape(&config_file.display().to_string()),
        install = escape(&app.install_url()),
        webhook = escape(webhook_url),
    );
    layout("The App is created and connected", &body)
}

/// A failure: what happened, and what to do.
pub fn problem(title: &str, what_happened: &str, what_to_do: &str) -> String {
    let body = format!(
        "<p class=\"problem\" id=\"problem\">{}</p><p id=\"next\">{}</p>\
         <p><a id=\"again\" href=\"/\">Start again</a></p>",
        prose(what_happened),
        prose(what_to_do)
    );
    layout(title, &body)
}
