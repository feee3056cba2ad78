//! Answers to structured-output side requests (Gemini CLI's model router,
//! its next-speaker check): a small value that fits the schema asked for.

use serde_json::{Map, Value, json};

/// A value matching `schema` (JSON Schema or Gemini's upper-case types).
pub fn example(schema: &Value) -> Value {
    example_named("", schema)
}

fn example_named(name: &str, schema: &Value) -> Value {
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        // Whose turn is next: the user's, so the agent stops after answering.
        if name == "next_speaker" {
            return json!("user");
        }
        return first.clone();
    }
    let ty = schema
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("object")
        .to_ascii_lowercase();
    match ty.as_str() {
        "object" => {
            let mut out = Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (key, sub) in props {
                    out.insert(key.clone(), example_named(key, sub));
                }
            }
            Value::Object(out)
        }
        "array" => json!([]),
        "integer" | "number" => json!(1),
        "boolean" => json!(false),
        _ if name == "next_speaker" => json!("user"),
        _ => json!("OK"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn router_and_next_speaker_schemas() {
        let router = json!({"type": "OBJECT", "properties": {
            "complexity_reasoning": {"type": "STRING"},
            "complexity_score": {"type": "INTEGER"}}});
        assert_eq!(
            example(&router),
            json!({"complexity_reasoning": "OK", "complexity_score": 1})
        );
        let next = json!({"type": "object", "properties": {
            "reasoning": {"type": "string"},
            "next_speaker": {"type": "string", "enum": ["model", "user"]}}});
        assert_eq!(example(&next)["next_speaker"], "user");
    }
}
