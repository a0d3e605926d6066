"""Everything that reads or rewrites SPARQL text: the lexer, the SERVICE/LOAD policy, binding."""
