// Placeholder: the implementation comes with issue 3.
process.stderr.write('not implemented yet\n');
process.exit(2);
