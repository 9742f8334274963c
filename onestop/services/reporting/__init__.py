"""Reports as of a moment: Form 06, metrics, scores, the 766 index, roll-ups, exports."""
