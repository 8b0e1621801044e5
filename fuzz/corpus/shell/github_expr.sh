helm upgrade ${{ env.RELEASE }} ./c -f "${{ inputs.values }}" $(MACRO) {{ .VAR }} << parameters.x >>
