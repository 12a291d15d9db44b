# The two commands of the README's quick start. Both are safe to rerun.
.PHONY: examples test

# Set everything up, then render the bundled example briefings into build/.
examples:
	scripts/setup
	.venv/bin/briefgen build --template full,onepager,talking-points --verbose

# Set everything up with the test tools, then run the test suite.
test:
	scripts/setup --test
	.venv/bin/python -m pytest
