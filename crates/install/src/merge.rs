//! Our handlers in and out of a hook tree (`{"hooks": {"<Event>": [{"matcher"?, "hooks": [
//! {handler}…]}…]}}`), the shape both clients share, leaving every other handler, group, event
//! and key as it was.

use crate::json_doc::Json;
use crate::registration::our_binary;

/// Where a handler sits: event, group index, handler index (Codex's trust key is made of them).
pub type Slot = (String, usize, usize);

/// Why a file cannot take our hooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError(pub String);

impl std::fmt::Display for ShapeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_ours(handler: &Json) -> bool {
    handler
        .get("command")
        .and_then(Json::as_str)
        .and_then(our_binary)
        .is_some()
}

/// The part of `doc`'s hook tree that is ours: every group holding one of our handlers, with
/// only those handlers, in order. Compared with what install would add, it says whether the
/// file is already up to date.
pub fn ours(doc: &Json) -> Json {
    let mut events = Vec::new();
    if let Some(Json::Object(members)) = doc.get("hooks") {
        for (event, groups) in members {
            let Json::Array(groups) = groups else {
                continue;
            };
            let mut kept = Vec::new();
            for group in groups {
                let Some(Json::Array(handlers)) = group.get("hooks") else {
                    continue;
                };
                let mine: Vec<Json> = handlers.iter().filter(|h| is_ours(h)).cloned().collect();
                if mine.is_empty() {
                    continue;
                }
                let mut group = group.clone();
                *group.get_mut("hooks").expect("checked above") = Json::Array(mine);
                kept.push(group);
            }
            if !kept.is_empty() {
                events.push((event.clone(), Json::Array(kept)));
            }
        }
    }
    Json::Object(vec![("hooks".to_owned(), Json::Object(events))])
}

/// Takes our handlers out of `doc`: groups left empty go, then events left empty, then a
/// `hooks` object left empty. Returns where every remaining handler moved (old slot, new
/// slot) and the slots ours had.
pub fn remove_ours(doc: &mut Json) -> (Vec<(Slot, Slot)>, Vec<Slot>) {
    let mut moved = Vec::new();
    let mut removed = Vec::new();
    let Some(Json::Object(events)) = doc.get_mut("hooks") else {
        return (moved, removed);
    };
    for (event, groups) in events.iter_mut() {
        let Json::Array(groups) = groups else {
            continue;
        };
        let mut new_g = 0;
        let mut g = 0;
        groups.retain_mut(|group| {
            let old_g = g;
            g += 1;
            let Some(Json::Array(handlers)) = group.get_mut("hooks") else {
                new_g += 1;
                return true;
            };
            let had_any = !handlers.is_empty();
            let mut h = 0;
            let mut kept = Vec::new();
            handlers.retain(|handler| {
                let old_h = h;
                h += 1;
                if is_ours(handler) {
                    removed.push((event.clone(), old_g, old_h));
                    false
                } else {
                    kept.push(old_h);
                    true
                }
            });
            if had_any && handlers.is_empty() {
                return false;
            }
            for (new_h, old_h) in kept.into_iter().enumerate() {
                moved.push(((event.clone(), old_g, old_h), (event.clone(), new_g, new_h)));
            }
            new_g += 1;
            true
        });
    }
    // Only what removing ours emptied goes; what was empty before stays (it is the user's).
    let emptied: Vec<String> = removed.iter().map(|(e, _, _)| e.clone()).collect();
    events.retain(|(event, groups)| !(emptied.contains(event) && groups.is_empty_container()));
    if !removed.is_empty() && events.is_empty() {
        doc.remove("hooks");
    }
    (moved, removed)
}

/// Appends the groups of `ours` (a `{"hooks": {…}}` tree) to `doc`'s events, creating what is
/// missing. Existing groups keep their indexes, so Codex's trust in the user's hooks holds.
pub fn add(doc: &mut Json, ours: &Json) -> Result<(), ShapeError> {
    if !matches!(doc, Json::Object(_)) {
        return Err(ShapeError("the file is not a JSON object".into()));
    }
    let hooks = doc
        .entry("hooks", Json::Object(Vec::new()))
        .expect("an object");
    if !matches!(hooks, Json::Object(_)) {
        return Err(ShapeError("`hooks` is not an object".into()));
    }
    let Some(Json::Object(events)) = ours.get("hooks") else {
        return Ok(());
    };
    for (event, groups) in events {
        let Json::Array(groups) = groups else {
            continue;
        };
        let slot = hooks
            .entry(event, Json::Array(Vec::new()))
            .expect("an object");
        let Json::Array(existing) = slot else {
            return Err(ShapeError(format!("`hooks.{event}` is not an array")));
        };
        existing.extend(groups.iter().cloned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours_tree() -> Json {
        Json::parse(
            r#"{"hooks": {
              "PreToolUse": [{"hooks": [{"type": "command", "command": "/b/schema-guard --dialect codex", "timeout": 30}]}],
              "Stop": [{"hooks": [{"type": "command", "command": "/b/budget-check --dialect codex", "timeout": 330}]}]
            }}"#,
        )
        .unwrap()
    }

    const USER: &str = r#"{
  "model": "x",
  "hooks": {
    "PreToolUse": [
      {
        "matcher": "Bash",
        "hooks": [
          {
            "type": "command",
            "command": "my-linter"
          }
        ]
      }
    ]
  }
}"#;

    #[test]
    fn add_then_remove_gives_the_user_file_back() {
        let original = Json::parse(USER).unwrap();
        let mut doc = original.clone();
        add(&mut doc, &ours_tree()).unwrap();
        assert_eq!(ours(&doc).to_value(), ours_tree().to_value());
        // The user's group keeps index 0; ours comes after.
        assert_eq!(
            doc.get("hooks").unwrap().get("PreToolUse").unwrap(),
            &Json::Array(vec![
                original
                    .get("hooks")
                    .unwrap()
                    .get("PreToolUse")
                    .unwrap()
                    .clone_first(),
                ours_tree()
                    .get("hooks")
                    .unwrap()
                    .get("PreToolUse")
                    .unwrap()
                    .clone_first(),
            ])
        );
        let (moved, removed) = remove_ours(&mut doc);
        assert_eq!(doc.pretty("  "), USER);
        assert_eq!(removed.len(), 2);
        assert_eq!(
            moved,
            vec![(("PreToolUse".into(), 0, 0), ("PreToolUse".into(), 0, 0))]
        );
    }

    #[test]
    fn a_user_group_after_ours_moves_up_and_says_so() {
        let mut doc = Json::Object(vec![]);
        add(&mut doc, &ours_tree()).unwrap();
        let user = Json::parse(USER).unwrap();
        add(&mut doc, &user).unwrap();
        let (moved, _) = remove_ours(&mut doc);
        assert_eq!(
            moved,
            vec![(("PreToolUse".into(), 1, 0), ("PreToolUse".into(), 0, 0))]
        );
        assert_eq!(
            doc.to_value(),
            serde_json::json!({"hooks": user.get("hooks").unwrap().to_value()})
        );
    }

    #[test]
    fn a_handler_the_user_put_in_our_group_stays() {
        let mut doc = Json::Object(vec![]);
        add(&mut doc, &ours_tree()).unwrap();
        let Some(Json::Array(groups)) = doc.get_mut("hooks").unwrap().get_mut("Stop") else {
            panic!()
        };
        let Some(Json::Array(handlers)) = groups[0].get_mut("hooks") else {
            panic!()
        };
        handlers.push(Json::parse(r#"{"type": "command", "command": "notify-me"}"#).unwrap());
        let (moved, _) = remove_ours(&mut doc);
        assert_eq!(
            doc.to_value(),
            serde_json::json!({"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "notify-me"}]}]}})
        );
        assert_eq!(moved, vec![(("Stop".into(), 0, 1), ("Stop".into(), 0, 0))]);
    }

    #[test]
    fn what_is_not_an_object_is_refused() {
        let mut doc = Json::parse("[]").unwrap();
        assert!(add(&mut doc, &ours_tree()).is_err());
        let mut doc = Json::parse(r#"{"hooks": []}"#).unwrap();
        assert!(add(&mut doc, &ours_tree()).is_err());
        let mut doc = Json::parse(r#"{"hooks": {"Stop": {}}}"#).unwrap();
        assert!(add(&mut doc, &ours_tree()).is_err());
    }

    impl Json {
        fn clone_first(&self) -> Json {
            match self {
                Json::Array(a) => a[0].clone(),
                _ => panic!("not an array"),
            }
        }
    }
}
