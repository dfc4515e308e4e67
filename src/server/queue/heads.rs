//! How a repository's head moves on, written once for both backends: when its job is finished,
//! the head row goes, and the repository's earliest unfinished job (if any) becomes the new
//! one. The backends differ only in their tables' names and their placeholders (`?1`, `$1`).

/// The statements that move a repository's head on, each taking the repository as its only
/// parameter. Run in this order, in the transaction that finished the job.
pub struct Advance {
    /// Removes the repository's head.
    pub drop_head: String,
    /// Makes its earliest unfinished job its head; changes one row when there is one (so the
    /// repository has runnable work again), none when the repository has no work left.
    pub next_head: String,
}

/// The statements for a backend whose tables are `deliveries` and `heads` and whose `n`th
/// parameter (counted from 1) is written `placeholder(n)`.
pub fn advance(deliveries: &str, heads: &str, placeholder: fn(usize) -> String) -> Advance {
    let repo = placeholder(1);
    Advance {
        drop_head: format!("DELETE FROM {heads} WHERE repo = {repo}"),
        // `ORDER BY seq LIMIT 1` over the partial index of unfinished jobs is its first
        // entry in either database: never a scan of the backlog behind it.
        next_head: format!(
            "INSERT INTO {heads} (repo, seq)
             SELECT repo, seq FROM {deliveries}
             WHERE repo = {repo} AND state IN ('queued', 'claimed')
             ORDER BY seq LIMIT 1"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statements_name_the_dialects_tables_and_placeholders_only() {
        let advance = advance("jobs", "firsts", |n| format!(":p{n}"));

        assert_eq!(advance.drop_head, "DELETE FROM firsts WHERE repo = :p1");
        let next = advance
            .next_head
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(
            next,
            "INSERT INTO firsts (repo, seq) SELECT repo, seq FROM jobs \
         WHERE repo = :p1 AND state IN ('queued', 'claimed') ORDER BY seq LIMIT 1"
        );
    }
}
