"""The LLM client layer: what is asked and answered (`protocol`), backends behind one factory
(`backends`), the request cache, the failures file, and the generator that joins them. Construction
steps and model-judge verifiers both call models through it; how a task becomes a prompt and how an
answer is read stay with the caller."""
