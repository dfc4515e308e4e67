//! `/release notes sync`: Mathesar's `find_missing_prs.sh` as a command. Contributors' pull
//! requests are merged, the release is started, and the notes file on the release branch is
//! brought in step — made from the template, every merged pull request cited once, the docs'
//! navigation listing it — without ever changing a line a person wrote.

use releasebot::engine::{Outcome, Reply};
use simulated_github::MergeMethod;

use crate::harness::*;

const NOTES: &str = "docs/docs/releases/0.1.3.md";
const BRANCH: &str = "release/0.1.3";

/// Mathesar's template, in its shape.
const TEMPLATE: &str = "# Mathesar __VERSION__

## Summary

TODO

## Upgrading to __VERSION__

TODO

<!-- ## Bug fixes -->
";

/// Mathesar at 0.1.2 with its notes template, and two contributors' pull requests merged into
/// `master` since the 0.1.2 tag.
async fn mathesar_with_merged_work() -> (Scenario, Vec<u64>) {
    let s = Scenario::mathesar_altered(|dir| {
        std::fs::create_dir_all(dir.join("docs/docs/releases")).unwrap();
        std::fs::write(dir.join("docs/docs/releases/TEMPLATE.md"), TEMPLATE).unwrap();
    })
    .await;
    let mut merged = Vec::new();
    for (branch, title, file) in [
        (
            "date-picker",
            "Add a date picker",
            "mathesar/date_picker.py",
        ),
        (
            "csv-fix",
            "Fix \"CSV\" import of empty rows",
            "mathesar/csv_import.py",
        ),
    ] {
        s.sim
            .push_commit(REPO, branch, WRITER, title, &[(file, "# work\n")]);
        let number = s.sim.open_pull(REPO, branch, "master", WRITER, title);
        s.sim
            .merge_pull(REPO, number, MergeMethod::Squash, MAINTAINER)
            .expect("the contributor's pull request merges");
        merged.push(number);
    }
    s.deliver().await;
    (s, merged)
}

/// The release pull request (contributors' merged ones are listed too).
fn release_pull(s: &Scenario) -> simulated_github::PullInfo {
    s.sim
        .pulls(REPO)
        .into_iter()
        .find(|p| p.head == BRANCH)
        .expect("the release pull request")
}

fn notes_on_branch(s: &Scenario) -> String {
    s.file_at(BRANCH, NOTES)
        .expect("the notes file is on the release branch")
}

#[tokio::test]
async fn the_notes_file_is_made_from_the_template_with_every_merged_pull_request_and_listed_in_the_docs(
) {
    let (s, merged) = mathesar_with_merged_work().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    let head_before = s.sim.resolve(REPO, Some(BRANCH)).unwrap();

    let outcomes = s.comment(MAINTAINER, "/release notes sync").await;

    let synced = outcomes
        .iter()
        .find_map(|o| match o {
            Ok(Outcome::NotesSynced { added, left, .. }) => Some((added.clone(), *left)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("the notes were synced: {outcomes:?}"));
    assert_eq!(synced, (merged.clone(), 2));
    let notes = notes_on_branch(&s);
    assert!(
        notes.starts_with("# Mathesar 0.1.3\n\n## Summary\n"),
        "{notes}"
    );
    let to_categorize = notes
        .split("## (TO CATEGORIZE)\n\n")
        .nth(1)
        .expect("the heading");
    let lines: Vec<&str> = to_categorize.lines().collect();
    assert_eq!(lines.len(), 2, "{notes}");
    assert!(
        lines[0].starts_with("- Add a date picker [#"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].ends_with(&format!(
            "/pull/{} \"Fix CSV import of empty rows\")",
            merged[1]
        )),
        "{}",
        lines[1]
    );
    let nav = s.file_at(BRANCH, "docs/mkdocs.yml").unwrap();
    assert!(
        nav.contains(
            "  - Releases:\n    - '0.1.3': releases/0.1.3.md\n    - '0.1.2': releases/0.1.2.md\n"
        ),
        "{nav}"
    );

    // One commit on the release branch, by the bot, smoke-tested as any push.
    let head = s.sim.resolve(REPO, Some(BRANCH)).unwrap();
    let commit = s.sim.commit(REPO, &head).unwrap();
    assert_eq!(commit.parents, vec![head_before]);
    assert!(
        s.smoke_runs().iter().any(|run| run.head_sha == head),
        "the new head is smoke-tested"
    );
    let reply = s.bot_comments().pop().unwrap();
    assert!(
        reply.contains("Synced the release notes on `release/0.1.3`"),
        "{reply}"
    );
    assert!(
        reply.contains("Now 2 pull requests are left to categorize"),
        "{reply}"
    );
    assert!(
        s.status_comment().contains(
            "Notes file `docs/docs/releases/0.1.3.md`: 2 merged pull requests left to categorize"
        ),
        "{}",
        s.status_comment()
    );
    assert_conforms(&s.sim);
}

#[tokio::test]
async fn a_second_sync_changes_nothing_and_says_the_notes_are_in_step() {
    let (s, _) = mathesar_with_merged_work().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.comment(MAINTAINER, "/release notes sync").await;
    let head = s.sim.resolve(REPO, Some(BRANCH)).unwrap();
    let notes = notes_on_branch(&s);
    s.sim.clear_requests();

    let outcome = only(s.comment(MAINTAINER, "/release notes sync").await);

    assert_eq!(outcome, Outcome::Answered(Reply::NotesInStep));
    assert_eq!(
        s.sim.resolve(REPO, Some(BRANCH)).unwrap(),
        head,
        "no commit"
    );
    assert_eq!(notes_on_branch(&s), notes, "byte for byte");
    let writes = s.api_writes();
    assert!(
        writes.iter().all(|w| w.contains("/comments")),
        "only the answer is written: {writes:?}"
    );
}

#[tokio::test]
async fn a_person_s_categorised_notes_are_kept_and_only_a_later_merge_is_added() {
    let (s, merged) = mathesar_with_merged_work().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.comment(MAINTAINER, "/release notes sync").await;
    // The release owner moves the date picker into the notes' own section, in their words, and
    // leaves the CSV fix to categorize.
    let notes = notes_on_branch(&s);
    let csv_line = notes
        .lines()
        .find(|l| l.contains("CSV"))
        .unwrap()
        .to_string();
    let edited = format!(
        "# Mathesar 0.1.3\n\n## Improvements\n\nPick dates in forms ([#{}](/{REPO}/pull/{})).\n\n## (TO CATEGORIZE)\n\n{csv_line}\n",
        merged[0], merged[0]
    );
    let edited = edited.replace(
        &format!("(/{REPO}/pull/{})", merged[0]),
        &format!("({})", cited_url(&notes, merged[0])),
    );
    s.sim.push_commit(
        REPO,
        BRANCH,
        MAINTAINER,
        "Categorize notes",
        &[(NOTES, &edited)],
    );
    // A fix is merged into the release branch.
    s.sim.push_commit(
        REPO,
        "fix-login",
        WRITER,
        "Fix login",
        &[("mathesar/login.py", "# fix\n")],
    );
    let fix = s
        .sim
        .open_pull(REPO, "fix-login", BRANCH, WRITER, "Fix login redirect");
    s.sim
        .merge_pull(REPO, fix, MergeMethod::Squash, MAINTAINER)
        .unwrap();
    s.deliver().await;

    s.comment(MAINTAINER, "/release notes sync").await;

    let synced = notes_on_branch(&s);
    let mut kept = synced.lines();
    for line in edited.lines() {
        assert!(
            kept.any(|l| l == line),
            "changed or lost: {line:?}\n{synced}"
        );
    }
    assert_eq!(
        synced.matches(&format!("/pull/{}", merged[0])).count(),
        1,
        "{synced}"
    );
    assert!(
        synced.contains(&format!("- Fix login redirect [#{fix}]")),
        "{synced}"
    );
    assert!(s
        .bot_comments()
        .pop()
        .unwrap()
        .contains("Now 2 pull requests are left to categorize"));
}

/// The address the bot cited a pull request by (the simulated GitHub's own).
fn cited_url(notes: &str, number: u64) -> String {
    let needle = format!("/pull/{number}");
    let line = notes.lines().find(|l| l.contains(&needle)).unwrap();
    let start = line.find("](").unwrap() + 2;
    let end = line[start..].find(' ').unwrap() + start;
    line[start..end].to_string()
}

#[tokio::test]
async fn a_ticked_notes_item_is_unticked_while_pull_requests_are_left_to_categorize() {
    let (s, _) = mathesar_with_merged_work().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    let release = release_pull(&s);
    // The release owner ticked the item early, by hand.
    s.sim.edit_pull_body(
        REPO,
        release.number,
        &release
            .body
            .replace("- [ ] Release notes linked", "- [x] Release notes linked"),
    );

    s.comment(MAINTAINER, "/release notes sync").await;

    let body = release_pull(&s).body;
    assert!(body.contains("- [ ] Release notes linked"), "{body}");
}

#[tokio::test]
async fn a_dry_run_commits_nothing_and_says_what_it_would_add() {
    let (s, merged) = mathesar_with_merged_work().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    let head = s.sim.resolve(REPO, Some(BRANCH)).unwrap();

    let outcome = only(s.comment(MAINTAINER, "/release notes sync --dry-run").await);

    assert_eq!(outcome, Outcome::Answered(Reply::DryRunPlan));
    assert_eq!(s.sim.resolve(REPO, Some(BRANCH)).unwrap(), head);
    assert_eq!(s.file_at(BRANCH, NOTES), None);
    let reply = s.bot_comments().pop().unwrap();
    assert!(
        reply.contains("**Dry run of `/release notes sync`**"),
        "{reply}"
    );
    assert!(
        reply.contains(&format!("#{}, #{}", merged[0], merged[1])),
        "{reply}"
    );
}

#[tokio::test]
async fn without_the_template_on_the_branch_nothing_is_committed_and_the_answer_says_what_to_set() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    let head = s.sim.resolve(REPO, Some(BRANCH)).unwrap();

    let outcome = only(s.comment(MAINTAINER, "/release notes sync").await);

    assert_eq!(outcome, Outcome::Answered(Reply::NotesSyncRefused));
    assert_eq!(s.sim.resolve(REPO, Some(BRANCH)).unwrap(), head);
    let reply = s.bot_comments().pop().unwrap();
    assert!(
        reply
            .contains("the template `docs/docs/releases/TEMPLATE.md` is not on the release branch"),
        "{reply}"
    );
    assert!(reply.contains("`template = \"\"`"), "{reply}");
}

#[tokio::test]
async fn after_the_merge_the_notes_are_no_longer_synced_on_the_branch() {
    let (s, _) = mathesar_with_merged_work().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    let release = release_pull(&s);
    s.sim
        .merge_pull(REPO, release.number, MergeMethod::Merge, MAINTAINER)
        .unwrap();
    s.deliver().await;

    let outcome = only(s.comment(MAINTAINER, "/release notes sync").await);

    assert_eq!(outcome, Outcome::Answered(Reply::NotesSyncRefused));
    assert!(s
        .bot_comments()
        .pop()
        .unwrap()
        .contains("while its pull request is open, and it is not open now"));
}

#[tokio::test]
async fn a_push_that_comes_first_leaves_the_branch_as_pushed_and_asks_to_sync_again() {
    let (s, _) = mathesar_with_merged_work().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    // GitHub refuses the branch update as a push landed between the read and the write.
    s.sim.fail_matching(
        "PATCH",
        "/git/refs/heads/release",
        1,
        simulated_github::Fault::Status(422),
    );

    let outcome = only(s.comment(MAINTAINER, "/release notes sync").await);

    assert_eq!(outcome, Outcome::Answered(Reply::NotesSyncRefused));
    assert_eq!(s.file_at(BRANCH, NOTES), None);
    assert!(s
        .bot_comments()
        .pop()
        .unwrap()
        .contains("comment `/release notes sync` again"));
}
