//! The framed-I/O C functions added with the structure work (reader control mid-stream,
//! many frames at once, the writer's limit), through the header.
#![cfg(unix)]

mod common;

#[test]
fn reader_control_and_many_frames_at_once_work_from_c() {
    common::run_c_test("frames_control");
}
