// RUN: optim-opt %s -split-input-file --convert-optim-to-linalg --optim-map-elementwise-to-gpu -verify-diagnostics

// A table row holds the addresses of the tensor's buffers: an absmax that
// is not in the table would be the template's for every row.
func.func @absmax_outside_the_table(
    %table: memref<?xi64> {optim.group_table},
    %p: memref<?xf32> {optim.group_column = 0 : i64},
    %g: memref<?xf32> {optim.group_column = 1 : i64},
    %m: memref<?xi8> {optim.group_column = 2 : i64},
    %v: memref<?xi8> {optim.group_column = 3 : i64},
    %am: memref<?xf32> {optim.group_column = 4 : i64},
    %av: memref<?xf32>, %lr: f32, %t: i64) {
  // expected-error @+1 {{with a group table, the buffers of 8-bit blocks must be function arguments marked optim.group_column}}
  optim.adamw (%p, %g, %m, %v) absmax(%am, %av) : (memref<?xf32>, memref<?xf32>, memref<?xi8>, memref<?xi8>, memref<?xf32>, memref<?xf32>)
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}

// -----

// Word 5 is the row's size, not an address.
// expected-error @+1 {{argument 6: a optim.group_column of 8-bit blocks must be an address column of the table (not its size or stream) on a memref<?xT>}}
func.func @absmax_in_the_size_word(
    %table: memref<?xi64> {optim.group_table},
    %p: memref<?xf32> {optim.group_column = 0 : i64},
    %g: memref<?xf32> {optim.group_column = 1 : i64},
    %m: memref<?xi8> {optim.group_column = 2 : i64},
    %v: memref<?xi8> {optim.group_column = 3 : i64},
    %am: memref<?xf32> {optim.group_column = 4 : i64},
    %av: memref<?xf32> {optim.group_column = 5 : i64}, %lr: f32, %t: i64) {
  optim.adamw (%p, %g, %m, %v) absmax(%am, %av) : (memref<?xf32>, memref<?xf32>, memref<?xi8>, memref<?xi8>, memref<?xf32>, memref<?xf32>)
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}

// -----

// A table row's view has the row's size: a statically shaped template
// would claim one size for every row.
// expected-error @+1 {{argument 1: a optim.group_column of 8-bit blocks must be an address column of the table (not its size or stream) on a memref<?xT>}}
func.func @static_template(
    %table: memref<?xi64> {optim.group_table},
    %p: memref<4096xf32> {optim.group_column = 0 : i64},
    %g: memref<4096xf32> {optim.group_column = 1 : i64},
    %m: memref<4096xi8> {optim.group_column = 2 : i64},
    %v: memref<4096xi8> {optim.group_column = 3 : i64},
    %am: memref<16xf32> {optim.group_column = 4 : i64},
    %av: memref<16xf32> {optim.group_column = 7 : i64}, %lr: f32, %t: i64) {
  optim.adamw (%p, %g, %m, %v) absmax(%am, %av) : (memref<4096xf32>, memref<4096xf32>, memref<4096xi8>, memref<4096xi8>, memref<16xf32>, memref<16xf32>)
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}

// -----

// One template per table: a second coded parameter has no rows of its own.
func.func @two_templates(
    %table: memref<?xi64> {optim.group_table},
    %p: memref<?xf32> {optim.group_column = 0 : i64},
    %g: memref<?xf32> {optim.group_column = 1 : i64},
    %m: memref<?xi8> {optim.group_column = 2 : i64},
    %v: memref<?xi8> {optim.group_column = 3 : i64},
    %am: memref<?xf32> {optim.group_column = 4 : i64},
    %av: memref<?xf32> {optim.group_column = 7 : i64},
    %p2: memref<?xf32>, %g2: memref<?xf32>, %m2: memref<?xi8>,
    %v2: memref<?xi8>, %am2: memref<?xf32>, %av2: memref<?xf32>,
    %lr: f32, %t: i64) {
  // expected-error @+1 {{a step over a group table must be one parameter (the template of every tensor in the table)}}
  optim.adamw (%p, %g, %m, %v) absmax(%am, %av) : (memref<?xf32>, memref<?xf32>, memref<?xi8>, memref<?xi8>, memref<?xf32>, memref<?xf32>),
              (%p2, %g2, %m2, %v2) absmax(%am2, %av2) : (memref<?xf32>, memref<?xf32>, memref<?xi8>, memref<?xi8>, memref<?xf32>, memref<?xf32>)
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}

// -----

// A buffer outside the table reached through a view (the flattening of a
// 2-d parameter) is refused like one used directly.
func.func @unmarked_through_a_view(
    %table: memref<?xi64> {optim.group_table},
    %p: memref<?x4xf32>, %g: memref<?x4xf32>, %m: memref<?x4xi8>,
    %v: memref<?x4xi8>,
    %am: memref<?xf32> {optim.group_column = 4 : i64},
    %av: memref<?xf32> {optim.group_column = 7 : i64}, %lr: f32, %t: i64) {
  // expected-error @+1 {{with a group table, the buffers of 8-bit blocks must be function arguments marked optim.group_column}}
  optim.adamw (%p, %g, %m, %v) absmax(%am, %av) : (memref<?x4xf32>, memref<?x4xf32>, memref<?x4xi8>, memref<?x4xi8>, memref<?xf32>, memref<?xf32>)
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}

// -----

// The rows of one table are of one kind: 8-bit rows hold absmaxes where
// the others hold max_exp_avg_sq. A second parameter of the template is
// refused first, since its buffers would share the table's columns.
// expected-error @+1 {{arguments 1 and 7 are both optim.group_column = 0: a column of the group table is one buffer}}
func.func @mixed_moments(
    %table: memref<?xi64> {optim.group_table},
    %p: memref<?xf32> {optim.group_column = 0 : i64},
    %g: memref<?xf32> {optim.group_column = 1 : i64},
    %m: memref<?xi8> {optim.group_column = 2 : i64},
    %v: memref<?xi8> {optim.group_column = 3 : i64},
    %am: memref<?xf32> {optim.group_column = 4 : i64},
    %av: memref<?xf32> {optim.group_column = 7 : i64},
    %p2: memref<?xf32> {optim.group_column = 0 : i64},
    %g2: memref<?xf32> {optim.group_column = 1 : i64},
    %m2: memref<?xf32> {optim.group_column = 2 : i64},
    %v2: memref<?xf32> {optim.group_column = 3 : i64}, %lr: f32, %t: i64) {
  optim.adamw (%p, %g, %m, %v) absmax(%am, %av) : (memref<?xf32>, memref<?xf32>, memref<?xi8>, memref<?xi8>, memref<?xf32>, memref<?xf32>),
              (%p2, %g2, %m2, %v2) : memref<?xf32>
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}

// -----

// The table must be a memref of i64 words: anything else is refused before
// the 8-bit blocks read it.
// expected-error @+1 {{the optim.group_table argument must be a 1-d memref of i64}}
func.func @table_not_a_memref(
    %table: i64 {optim.group_table},
    %p: memref<?xf32> {optim.group_column = 0 : i64},
    %g: memref<?xf32> {optim.group_column = 1 : i64},
    %m: memref<?xi8> {optim.group_column = 2 : i64},
    %v: memref<?xi8> {optim.group_column = 3 : i64},
    %am: memref<?xf32> {optim.group_column = 4 : i64},
    %av: memref<?xf32> {optim.group_column = 7 : i64}, %lr: f32, %t: i64) {
  optim.adamw (%p, %g, %m, %v) absmax(%am, %av) : (memref<?xf32>, memref<?xf32>, memref<?xi8>, memref<?xi8>, memref<?xf32>, memref<?xf32>)
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}

// -----

// A column of the table is one buffer per row: two arguments on one
// column would be one buffer in the kernel.
// expected-error @+1 {{arguments 3 and 4 are both optim.group_column = 2: a column of the group table is one buffer}}
func.func @two_buffers_one_column(
    %table: memref<?xi64> {optim.group_table},
    %p: memref<?xf32> {optim.group_column = 0 : i64},
    %g: memref<?xf32> {optim.group_column = 1 : i64},
    %m: memref<?xf32> {optim.group_column = 2 : i64},
    %v: memref<?xf32> {optim.group_column = 2 : i64},
    %lr: f32, %t: i64) {
  optim.adamw (%p, %g, %m, %v) : (memref<?xf32>, memref<?xf32>,
                                  memref<?xf32>, memref<?xf32>)
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}

// -----

// The same for the absmaxes: exp_avg_sq's would overwrite exp_avg's.
// expected-error @+1 {{arguments 5 and 6 are both optim.group_column = 4: a column of the group table is one buffer}}
func.func @two_absmaxes_one_column(
    %table: memref<?xi64> {optim.group_table},
    %p: memref<?xf32> {optim.group_column = 0 : i64},
    %g: memref<?xf32> {optim.group_column = 1 : i64},
    %m: memref<?xi8> {optim.group_column = 2 : i64},
    %v: memref<?xi8> {optim.group_column = 3 : i64},
    %am: memref<?xf32> {optim.group_column = 4 : i64},
    %av: memref<?xf32> {optim.group_column = 4 : i64},
    %lr: f32, %t: i64) {
  optim.adamw (%p, %g, %m, %v) absmax(%am, %av)
      : (memref<?xf32>, memref<?xf32>, memref<?xi8>, memref<?xi8>,
         memref<?xf32>, memref<?xf32>)
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}

// -----

// The kernel views the table's addresses as global memory: a column in
// another memory space is refused here, not when LLVM IR is translated.
// expected-error @+1 {{argument 1: an optim.group_column argument must be in the default memory space (the table's addresses are global memory)}}
func.func @column_in_another_memory_space(
    %table: memref<?xi64> {optim.group_table},
    %p: memref<?xf32, 1> {optim.group_column = 0 : i64},
    %g: memref<?xf32, 1> {optim.group_column = 1 : i64},
    %m: memref<?xf32, 1> {optim.group_column = 2 : i64},
    %v: memref<?xf32, 1> {optim.group_column = 3 : i64},
    %lr: f32, %t: i64) {
  optim.adamw (%p, %g, %m, %v) : memref<?xf32, 1>
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}

// -----

// One step, one table: a second one would be ignored.
// expected-error @+1 {{arguments 0 and 1 are both optim.group_table: a step has one table}}
func.func @two_tables(
    %table: memref<?xi64> {optim.group_table},
    %other: memref<?xi64> {optim.group_table},
    %p: memref<?xf32> {optim.group_column = 0 : i64},
    %g: memref<?xf32> {optim.group_column = 1 : i64},
    %m: memref<?xf32> {optim.group_column = 2 : i64},
    %v: memref<?xf32> {optim.group_column = 3 : i64},
    %lr: f32, %t: i64) {
  optim.adamw (%p, %g, %m, %v) : memref<?xf32>
      lr(%lr) betas(%lr, %lr) eps(%lr) weight_decay(%lr) step(%t : i64)
  return
}
