//! The emulator's configuration: the webhook it accepts, the deal pipelines and their
//! stages, the optional leaky bucket, and the points the real API leaves undocumented.

use super::bucket::LeakyBucket;

/// What a stage means: Bitrix24's `STAGE_SEMANTIC_ID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageSemantics {
    /// `P`: in progress.
    Process,
    /// `S`: won.
    Success,
    /// `F`: lost (any failure stage, e.g. "analysing failure").
    Failure,
}

impl StageSemantics {
    /// The `STAGE_SEMANTIC_ID` letter.
    pub fn letter(self) -> &'static str {
        match self {
            StageSemantics::Process => "P",
            StageSemantics::Success => "S",
            StageSemantics::Failure => "F",
        }
    }
}

/// One stage of a pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealStage {
    /// `STAGE_ID` (`NEW`, `C1:NEW`, ...).
    pub id: String,
    /// Display name.
    pub name: String,
    /// What it means.
    pub semantics: StageSemantics,
}

/// A deal pipeline (`CATEGORY_ID`) and its stages, first stage first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealCategory {
    /// `CATEGORY_ID` (0 is the default pipeline).
    pub id: u64,
    /// Display name.
    pub name: String,
    /// Stages in order; new deals without a stage get the first.
    pub stages: Vec<DealStage>,
}

impl DealCategory {
    /// A pipeline with Bitrix24's default stage set: `NEW`, `PREPARATION`, `WON` (won),
    /// `LOSE` (lost), `APOLOGY` ("analysing failure", lost). Pipelines other than 0 prefix
    /// their stage ids with `C<id>:`.
    pub fn standard(id: u64, name: &str) -> Self {
        let prefix = if id == 0 {
            String::new()
        } else {
            format!("C{id}:")
        };
        let stage = |code: &str, name: &str, semantics| DealStage {
            id: format!("{prefix}{code}"),
            name: name.to_string(),
            semantics,
        };
        DealCategory {
            id,
            name: name.to_string(),
            stages: vec![
                stage("NEW", "Новая", StageSemantics::Process),
                stage(
                    "PREPARATION",
                    "Подготовка документов",
                    StageSemantics::Process,
                ),
                stage("WON", "Сделка успешна", StageSemantics::Success),
                stage("LOSE", "Сделка провалена", StageSemantics::Failure),
                stage("APOLOGY", "Анализ причины провала", StageSemantics::Failure),
            ],
        }
    }
}

/// How `crm.duplicate.findbycomm` says "nothing found" (undocumented).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmptyDuplicates {
    /// `"result": []` (what is commonly seen).
    Array,
    /// `"result": {}`.
    Object,
}

/// How to start an emulator.
#[derive(Debug, Clone)]
pub struct Bitrix24EmulatorConfig {
    /// The webhook's user id (the number in `/rest/<user>/<code>/`).
    pub user_id: u64,
    /// The webhook code (the credential).
    pub code: String,
    /// Enforce the leaky bucket (off by default so other tests are never throttled).
    pub leaky_bucket: Option<LeakyBucket>,
    /// Deal pipelines and their stages.
    pub categories: Vec<DealCategory>,
    /// The "nothing found" shape of duplicate searches.
    pub empty_duplicates: EmptyDuplicates,
}

impl Default for Bitrix24EmulatorConfig {
    fn default() -> Self {
        Bitrix24EmulatorConfig {
            user_id: 1,
            code: "emulatedwebhookcode01".into(),
            leaky_bucket: None,
            categories: vec![
                DealCategory::standard(0, "Общая"),
                DealCategory::standard(1, "Обращения"),
            ],
            empty_duplicates: EmptyDuplicates::Array,
        }
    }
}
