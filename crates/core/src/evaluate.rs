//! Evaluation: achievement, clause/dimension/scene/total scores, red lines, maturity levels, peer ranks.
