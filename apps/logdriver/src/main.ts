// Placeholder: the logdriver comes with issue 4.
process.stderr.write('not implemented yet\n');
process.exit(2);
