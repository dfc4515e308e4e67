//! The Actions environment the runner sets for every step, and the action's own inputs (which
//! `action.yml` passes in as `RELEASEBOT_*` variables, never spliced into a script).

use std::collections::HashMap;
use std::path::PathBuf;

/// Whom the workflow's own `GITHUB_TOKEN` acts as.
pub const ACTIONS_BOT: &str = "github-actions[bot]";

#[derive(Clone, PartialEq, Eq)]
pub struct ActionEnv {
    pub event_name: String,
    pub event_path: PathBuf,
    /// `owner/name`.
    pub repository: String,
    /// REST base, e.g. `https://api.github.com` or `https://ghe.example.com/api/v3`.
    pub api_url: String,
    pub server_url: String,
    pub run_id: Option<String>,
    pub token: String,
    /// The login the token acts as, when it can be told without asking GitHub (which will not
    /// say for an Actions or App token): the `bot-login` input, else `github-actions[bot]` for
    /// the workflow's own `GITHUB_TOKEN`. `None`: a personal token, asked with `GET /user`.
    pub bot_login: Option<String>,
    pub config_path: Option<String>,
    pub dry_run: bool,
    pub output_file: Option<PathBuf>,
    pub summary_file: Option<PathBuf>,
}

impl std::fmt::Debug for ActionEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActionEnv")
            .field("event_name", &self.event_name)
            .field("repository", &self.repository)
            .field("api_url", &self.api_url)
            .finish_non_exhaustive()
    }
}

impl ActionEnv {
    /// Every missing or malformed variable is named at once.
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<ActionEnv, Vec<String>> {
        let get = |key: &str| vars.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
        let mut problems = Vec::new();
        let mut required = |key: &str, what: &str| match get(key) {
            Some(value) => value.to_string(),
            None => {
                problems.push(format!("{key} is not set ({what})"));
                String::new()
            }
        };
        let event_name = required("GITHUB_EVENT_NAME", "the runner sets it for every step");
        let event_path = required("GITHUB_EVENT_PATH", "the runner sets it for every step");
        let repository = required("GITHUB_REPOSITORY", "the runner sets it for every step");
        let token = get("RELEASEBOT_TOKEN")
            .or_else(|| get("GITHUB_TOKEN"))
            .map(str::to_string);
        if token.is_none() {
            problems.push(
                "no token: give the action's `token` input (default: the workflow's GITHUB_TOKEN)"
                    .to_string(),
            );
        }
        let dry_run = match get("RELEASEBOT_DRY_RUN").unwrap_or("false") {
            "true" => true,
            "false" => false,
            other => {
                problems.push(format!(
                    "the `dry-run` input must be true or false, not `{other}`"
                ));
                false
            }
        };
        if !repository.is_empty() && repository.split('/').filter(|p| !p.is_empty()).count() != 2 {
            problems.push(format!(
                "GITHUB_REPOSITORY must be owner/name, not `{repository}`"
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(ActionEnv {
            event_name,
            event_path: PathBuf::from(event_path),
            repository,
            api_url: get("GITHUB_API_URL")
                .unwrap_or("https://api.github.com")
                .trim_end_matches('/')
                .to_string(),
            server_url: get("GITHUB_SERVER_URL")
                .unwrap_or("https://github.com")
                .trim_end_matches('/')
                .to_string(),
            run_id: get("GITHUB_RUN_ID").map(str::to_string),
            bot_login: get("RELEASEBOT_BOT_LOGIN").map(str::to_string).or_else(|| {
                let actions_token = get("GITHUB_TOKEN");
                let is_actions_token = actions_token.is_some()
                    && get("RELEASEBOT_TOKEN").is_none_or(|t| Some(t) == actions_token);
                is_actions_token.then(|| ACTIONS_BOT.to_string())
            }),
            token: token.unwrap_or_default(),
            config_path: get("RELEASEBOT_CONFIG").map(str::to_string),
            dry_run,
            output_file: get("GITHUB_OUTPUT").map(PathBuf::from),
            summary_file: get("GITHUB_STEP_SUMMARY").map(PathBuf::from),
        })
    }

    /// Link to this workflow run, for the summary.
    pub fn run_url(&self) -> Option<String> {
        let id = self.run_id.as_ref()?;
        Some(format!(
            "{}/{}/actions/runs/{id}",
            self.server_url, self.repository
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn runner() -> HashMap<String, String> {
        vars(&[
            ("GITHUB_EVENT_NAME", "issue_comment"),
            (
                "GITHUB_EVENT_PATH",
                "/home/runner/work/_temp/_github_workflow/event.json",
            ),
            ("GITHUB_REPOSITORY", "mathesar-foundation/mathesar"),
            ("GITHUB_API_URL", "https://api.github.com"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_RUN_ID", "1658821493"),
            ("RELEASEBOT_TOKEN", "ghs_x"),
            ("RELEASEBOT_DRY_RUN", "false"),
        ])
    }

    #[test]
    fn the_runners_variables_and_the_inputs_are_read() {
        let env = ActionEnv::from_vars(&runner()).unwrap();
        assert_eq!(env.event_name, "issue_comment");
        assert_eq!(env.repository, "mathesar-foundation/mathesar");
        assert!(!env.dry_run);
        assert_eq!(
            env.run_url().unwrap(),
            "https://github.com/mathesar-foundation/mathesar/actions/runs/1658821493"
        );
    }

    #[test]
    fn outside_a_runner_every_missing_variable_is_named() {
        let problems = ActionEnv::from_vars(&HashMap::new()).unwrap_err();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[0].starts_with("GITHUB_EVENT_NAME is not set"));
        assert!(problems[3].starts_with("no token"));
    }

    #[test]
    fn a_dry_run_input_that_is_not_a_boolean_is_refused() {
        let mut vars = runner();
        vars.insert("RELEASEBOT_DRY_RUN".into(), "yes".into());
        assert_eq!(
            ActionEnv::from_vars(&vars).unwrap_err(),
            vec!["the `dry-run` input must be true or false, not `yes`".to_string()]
        );
    }

    #[test]
    fn the_bot_login_is_the_input_else_the_actions_bot_for_the_workflow_token() {
        let mut vars = runner();
        assert_eq!(ActionEnv::from_vars(&vars).unwrap().bot_login, None);
        vars.insert("GITHUB_TOKEN".into(), "ghs_x".into());
        assert_eq!(
            ActionEnv::from_vars(&vars).unwrap().bot_login.as_deref(),
            Some("github-actions[bot]")
        );
        vars.insert("GITHUB_TOKEN".into(), "ghs_other".into());
        assert_eq!(ActionEnv::from_vars(&vars).unwrap().bot_login, None);
        vars.insert(
            "RELEASEBOT_BOT_LOGIN".into(),
            "mathesar-release[bot]".into(),
        );
        assert_eq!(
            ActionEnv::from_vars(&vars).unwrap().bot_login.as_deref(),
            Some("mathesar-release[bot]")
        );
    }

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let env = ActionEnv::from_vars(&runner()).unwrap();
        assert!(!format!("{env:?}").contains("ghs_x"));
    }
}
