#!/bin/sh
# A scripted stand-in for a coding agent, for the local demo: it shows a
# prompt, reads what ao types, and acts like a coding CLI would — edits,
# commits and pushes its branch; fixes CI when told it failed; addresses
# review comments. Real agents (claude-code, codex, …) replace it in
# agent-orchestrator.yaml.
printf 'agent> '
while IFS= read -r line; do
  case "$line" in
    "Issue #"*)
      issue=$(printf '%s' "$line" | sed 's/^Issue #\([^:]*\):.*/\1/')
      echo "Working on issue $issue…"
      mkdir -p notes
      printf 'Notes for issue %s\n' "$issue" > "notes/issue-$issue.md"
      git add notes && git commit -qm "Issue $issue: first pass" && git push -q -u origin HEAD 2>/dev/null
      echo "Pushed a first pass.";;
    *"CI failed"*)
      echo "CI failed; fixing…"
      for f in notes/issue-*.md; do printf 'Tested.\n' >> "$f"; done
      git commit -qam "Make the notes pass CI" && git push -q origin HEAD 2>/dev/null
      echo "Pushed a fix.";;
    *"asked for changes"*)
      echo "Addressing the review…"
      for f in notes/issue-*.md; do printf 'Reviewed.\n' >> "$f"; done
      git commit -qam "Address review comments" && git push -q origin HEAD 2>/dev/null
      echo "Pushed the changes.";;
  esac
  printf 'agent> '
done
