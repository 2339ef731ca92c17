"""Reference-exact metrics for the generation and classification tasks (SQuAD/TyDiQA F1, EM)."""
