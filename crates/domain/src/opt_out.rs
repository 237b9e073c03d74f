//! Customers stop messages by replying a stop word. Only a message that *is* the word counts
//! ("STOP", "stop!", " Berhenti "), not one that merely contains it ("jangan stop promonya").

/// The stop words when the operator sets none.
pub const DEFAULT_STOP_WORDS: &[&str] = &["STOP", "BERHENTI", "UNSUBSCRIBE"];

/// Is `text` a request to stop, given the configured `words` (compared without case)?
pub fn is_stop_request(text: &str, words: &[String]) -> bool {
    let said = text.trim().trim_matches(|c: char| !c.is_alphanumeric());
    !said.is_empty() && words.iter().any(|w| w.trim().eq_ignore_ascii_case(said))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_message_that_is_a_stop_word_stops() {
        let words: Vec<String> = DEFAULT_STOP_WORDS.iter().map(|w| w.to_string()).collect();
        for yes in ["STOP", "stop", " Berhenti ", "berhenti.", "STOP!!", "Unsubscribe"] {
            assert!(is_stop_request(yes, &words), "{yes}");
        }
        for no in ["jangan stop promonya", "stopwatch", "", "!!!", "berhenti dulu ya"] {
            assert!(!is_stop_request(no, &words), "{no}");
        }
        assert!(is_stop_request("Cukup", &["cukup".to_string()]), "the operator's own words");
    }
}
